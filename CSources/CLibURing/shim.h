/* liburing as a SwiftPM system library: found with pkg-config, and where it is missing SwiftPM
 * says which package to install (apt-get install liburing-dev). Only the C cores include it. */
#include <liburing.h>
