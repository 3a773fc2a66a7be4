#ifndef PADDOCK_CSNAPPY_SHIM_H
#define PADDOCK_CSNAPPY_SHIM_H
#include <snappy-c.h>
#endif
