/* Where a box is drawn, in Orchestrator's terms: its PositionX/PositionY
 * place a small icon by its top-left corner, while Baton's boxes are
 * wider and placed by their centre, so coordinates are scaled by 1.5 and
 * moved by half a box. The importer converts one way and the OData
 * Activities feed the other, so a runbook brought over from Orchestrator
 * reports the positions it came with. */
#include "runbook/runbook.h"

enum { SCALE_NUM = 3, SCALE_DEN = 2, HALF_W = 90, HALF_H = 27 };

void bt_runbook_position_from_orchestrator(int ox, int oy, int *x, int *y) {
    *x = ox * SCALE_NUM / SCALE_DEN + HALF_W;
    *y = oy * SCALE_NUM / SCALE_DEN + HALF_H;
}

void bt_runbook_position_to_orchestrator(int x, int y, int *ox, int *oy) {
    *ox = x > HALF_W ? (x - HALF_W) * SCALE_DEN / SCALE_NUM : 0;
    *oy = y > HALF_H ? (y - HALF_H) * SCALE_DEN / SCALE_NUM : 0;
}
