/* Schedules: when runbooks may run. A schedule is a JSON object (kept by
 * name in the store, or written inline in Check Schedule):
 *   {"days_of_week": ["mon", "fri"],        every day when absent
 *    "days_of_month": [1, 15, "last"],      every day when absent
 *    "occurrences": ["first", "last"],      which weekday of the month
 *    "hours": ["08:00-12:00", "22:00-06:00"], all day when absent
 *    "exceptions": ["2026-12-25"],          days that never conform
 *    "timezone": "local" | "utc"}
 * A moment conforms when its day meets every day criterion given, is not
 * an exception, and its time of day falls in one of the hour ranges
 * (start included, end excluded; an end before the start wraps past
 * midnight on the same calendar day). */
#ifndef BT_SCHEDULE_H
#define BT_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BT_SCHEDULE_MAX_RANGES 48
#define BT_SCHEDULE_MAX_EXCEPTIONS 366

typedef struct bt_schedule {
    unsigned days_of_week;   /* bit per weekday, 0 = Sunday; 0: any */
    uint32_t days_of_month;  /* bit per day 1..31; 0 with !last: any */
    bool last_day;           /* "last" in days_of_month */
    unsigned occurrences;    /* bits 0-3 first..fourth, bit 4 last; 0: any */
    struct { int from, to; } hours[BT_SCHEDULE_MAX_RANGES]; /* minutes */
    size_t n_hours;
    int exceptions[BT_SCHEDULE_MAX_EXCEPTIONS]; /* yyyymmdd */
    size_t n_exceptions;
    bool utc;
} bt_schedule;

/* Parses a definition; on error returns -BT_EINVAL with a sentence naming
 * the field in why. */
int bt_schedule_parse(const char *json, bt_schedule *out, char *why,
                      size_t why_size);
/* tm: the moment broken down in the schedule's time zone. */
bool bt_schedule_conforms(const bt_schedule *s, const struct tm *tm);

#endif
