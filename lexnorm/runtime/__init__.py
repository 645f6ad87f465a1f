"""How a run executes, beneath the flow: which documents need work (the results store of
`incremental`), the worker processes that run the stages (`workers`), the streaming window
that keeps a bounded number of documents in flight and hands them on in order (`window`),
and the lock that gives one run at a time an output folder (`lock`).

Plain Python (threads, processes, files); the only Prefect it knows is the futures the
window waits on. The flow wires these to its tasks.
"""
