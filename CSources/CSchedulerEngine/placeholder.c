#include "CSchedulerEngine.h"
int cscheduler_engine_placeholder(void) { return 0; }
