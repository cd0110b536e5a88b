// The samples are the repository's own examples, bundled at build time.
import privileged from '../../examples/privileged-daemonset.yaml?raw';
import restricted from '../../examples/restricted-deployment.yaml?raw';
import apiserver from '../../examples/control-plane/kube-apiserver.yaml?raw';
import facts from '../../examples/node-facts/cp-1.json?raw';

export const samples = {
  privileged: { name: 'privileged-daemonset.yaml', text: privileged },
  restricted: { name: 'restricted-deployment.yaml', text: restricted },
  apiserver: { name: 'kube-apiserver.yaml', text: apiserver },
  facts: { name: 'cp-1.json', text: facts },
};
