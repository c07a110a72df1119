// Every test starts its own etcd; lease expiry and restart timings are measured in seconds, so on a 2-core machine
// the tests run one at a time rather than compete for the CPU.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
