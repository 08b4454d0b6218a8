#include "CSchedulerIO.h"
int cscheduler_io_placeholder(void) { return 0; }
