/* Placeholder until the C IO core lands. */
#ifndef CSCHEDULER_IO_H
#define CSCHEDULER_IO_H
int cscheduler_io_placeholder(void);
#endif
