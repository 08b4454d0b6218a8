@_exported import SchedulerEngine
// The library users import: one module that re-exports the pool, the socket and the engine.
@_exported import SchedulerPool
@_exported import SchedulerSocket
@_exported import SchedulerHTTP
