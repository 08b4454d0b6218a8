/* Placeholder until the C Engine core lands. */
#ifndef CSCHEDULER_ENGINE_H
#define CSCHEDULER_ENGINE_H
int cscheduler_engine_placeholder(void);
#endif
