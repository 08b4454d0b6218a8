/* Placeholder until the C Allocator core lands. */
#ifndef CSCHEDULER_ALLOCATOR_H
#define CSCHEDULER_ALLOCATOR_H
int cscheduler_allocator_placeholder(void);
#endif
