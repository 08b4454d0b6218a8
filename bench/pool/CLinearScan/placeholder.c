#include "CLinearScan.h"
int clinearscan_placeholder(void) { return 0; }
