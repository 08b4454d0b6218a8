/* libpq (PostgreSQL's C client) as a SwiftPM system library, found with pkg-config; where it is
 * missing SwiftPM says which package to install (apt-get install libpq-dev). Only
 * SchedulerPoolPostgres includes it, so users of SchedulerCore never link it. */
#include <libpq-fe.h>
