// The npm package's API. The data types (Report, OptionsSpec, RuleInfo, ...) are generated from
// the Rust types into types.d.ts.
import type { BenchmarkInfo, NodeFacts, OptionsSpec, Report, RuleInfo } from './types.js';

export type {
  BenchmarkInfo, CheckResult, Control, InputError, Location, NodeFacts, OptionsSpec, Report,
  ResourceRef, RuleInfo, Severity, Status, Summary, BenchmarkScore, SectionScore,
} from './types.js';

/** A named text: a manifest file or a node facts document. */
export interface NamedText {
  name: string;
  text: string;
}

/** Manifests as one string, a list of files, or files and node facts. */
export type EvaluateInput = string | Array<NamedText | string> | { files?: Array<NamedText | string>; facts?: Array<NamedText | string> };

/** The engine's options, plus `failOnInputError` to throw the first input error. */
export interface EvaluateOptions extends Partial<OptionsSpec> {
  failOnInputError?: boolean;
}

/** Loads the engine (browsers and bundlers); resolves at once in Node.js. */
export function init(source?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<void>;
/** Evaluates manifests and node facts; the same report as `stockade scan -f json`. */
export function evaluate(input: EvaluateInput, options?: EvaluateOptions): Report;
/** Evaluates and renders in one step: the text `stockade scan -f FORMAT` writes. */
export function scan(input: EvaluateInput, options?: EvaluateOptions, format?: 'json' | 'text' | 'sarif' | 'junit' | 'markdown' | 'html'): string;
/** One finding `fix` fixed. */
export interface FixedFinding {
  rule: string;
  /** `Kind namespace/name`. */
  resource: string;
  container: string | null;
  /** The finding's line before the fix. */
  line: number;
  /** What the fix did (the result's `fix.description`). */
  description: string;
}

/** A file after `fix`. */
export interface FixedFile {
  name: string;
  /** The fixed text (the input's text when nothing changed). */
  text: string;
  changed: boolean;
  fixed: FixedFinding[];
}

/** Fixes every failing finding that has a mechanical fix, in one pass per file (as `stockade fix`). */
export function fix(input: EvaluateInput, options?: EvaluateOptions): { files: FixedFile[] };
/** Renders a report as JSON (byte for byte what the CLI writes), text, SARIF 2.1.0, JUnit XML or Markdown. */
export function render(report: Report, format?: 'json' | 'text' | 'sarif' | 'junit' | 'markdown' | 'html'): string;
/** Every rule and CIS check, with documentation. */
export function rules(): RuleInfo[];
/** A rule's documentation (markdown), or undefined. */
export function explain(rule: string): string | undefined;
/** The benchmarks and their versions. */
export function benchmarks(): BenchmarkInfo[];
/** The engine's version. */
export function version(): string;

/** An input error with its location (thrown with `failOnInputError: true`). */
export class StockadeInputError extends Error {
  file: string;
  line: number;
  column: number;
}

/** @internal */
export function __panicForTests(): never;

/** Node facts documents can be built with this type and passed as `facts` (JSON text). */
export type { NodeFacts as NodeFactsDocument };
