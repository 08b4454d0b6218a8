#include "CSchedulerAllocator.h"
int cscheduler_allocator_placeholder(void) { return 0; }
