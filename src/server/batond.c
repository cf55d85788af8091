#include <stdio.h>
int main(void) { puts("batond: not yet"); return 0; }
