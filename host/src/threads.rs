//! The engine's jobs (one a manifest file) on several cores: scoped worker threads take the next
//! job until none is left. The engine merges the results in input order, so the report does not
//! depend on how many threads ran or which finished first.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use stockade_core::Executor;

/// Runs jobs on up to `workers` threads, the calling thread among them.
pub struct Threads {
    workers: NonZeroUsize,
}

impl Threads {
    /// `jobs` threads, or one a core when `None`.
    pub fn new(jobs: Option<NonZeroUsize>) -> Threads {
        let workers = jobs
            .or_else(|| std::thread::available_parallelism().ok())
            .unwrap_or(NonZeroUsize::MIN);
        Threads { workers }
    }
}

impl Executor for Threads {
    fn run(&self, count: usize, job: &(dyn Fn(usize) + Sync)) {
        let next = AtomicUsize::new(0);
        let work = || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                job(i);
            }
        };
        std::thread::scope(|scope| {
            for n in 1..self.workers.get().min(count) {
                // A thread the system refuses is one worker fewer; the others do its share.
                if std::thread::Builder::new()
                    .name(format!("stockade-{n}"))
                    .spawn_scoped(scope, work)
                    .is_err()
                {
                    break;
                }
            }
            work();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn every_job_runs_once_whatever_the_thread_count() {
        for workers in [1, 2, 3, 8] {
            for count in [0, 1, 2, 5, 100] {
                let runs = Mutex::new(vec![0u32; count]);
                Threads::new(NonZeroUsize::new(workers)).run(count, &|i| {
                    if let Some(n) = runs.lock().unwrap().get_mut(i) {
                        *n += 1;
                    }
                });
                assert_eq!(
                    runs.into_inner().unwrap(),
                    vec![1; count],
                    "{workers} threads, {count} jobs"
                );
            }
        }
    }

    #[test]
    fn jobs_run_on_several_threads_when_asked() {
        let threads = Mutex::new(std::collections::HashSet::new());
        let barrier = std::sync::Barrier::new(2);
        Threads::new(NonZeroUsize::new(2)).run(2, &|_| {
            // Both jobs wait for each other: this returns only if they run at the same time.
            barrier.wait();
            threads.lock().unwrap().insert(std::thread::current().id());
        });
        assert_eq!(threads.into_inner().unwrap().len(), 2);
    }
}
