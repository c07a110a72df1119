// The integration tests pin data-plane workers, run load generators at 100% of a core and rebind AF_XDP queues:
// on a 2-core machine, running them in parallel makes each one's timing depend on the others. One at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
