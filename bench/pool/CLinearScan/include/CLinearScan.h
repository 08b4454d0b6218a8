#ifndef CLINEARSCAN_H
#define CLINEARSCAN_H
int clinearscan_placeholder(void);
#endif
