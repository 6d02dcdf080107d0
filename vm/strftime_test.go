package vm

import (
	"testing"
	"time"
)

func tmOf(t time.Time) jsTM {
	return jsTM{sec: t.Second(), min: t.Minute(), hour: t.Hour(), mday: t.Day(), mon: int(t.Month()) - 1,
		year: t.Year() - 1900, wday: int(t.Weekday()), yday: t.YearDay() - 1, zone: "GMT"}
}

func TestStrftime(t *testing.T) {
	d := tmOf(time.Date(2024, 2, 29, 13, 5, 9, 0, time.UTC))
	for pattern, want := range map[string]string{
		"%Y-%m-%d %H:%M:%S": "2024-02-29 13:05:09",
		"%c":                "Thu Feb 29 13:05:09 2024",
		"%a %A %b %B":       "Thu Thursday Feb February",
		"%j %U %W %V %u %w": "060 08 09 09 4 4",
		"%I %p %e %y %C":    "01 PM 29 24 20",
		"%G %g %z %Z":       "2024 24 +0000 GMT",
		"%D %F %T %R %r":    "02/29/24 2024-02-29 13:05:09 13:05 01:05:09 PM",
		"100%% %n%t":        "100% \n\t",
	} {
		if got := strftime(pattern, d); got != want {
			t.Errorf("strftime(%q) = %q, want %q", pattern, got, want)
		}
	}
	// ISO week-based year at a year boundary: 2021-01-01 is in week 53 of 2020.
	if got := strftime("%G-W%V", tmOf(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))); got != "2020-W53" {
		t.Errorf("ISO week of 2021-01-01 = %s", got)
	}
}

func TestJSDate(t *testing.T) {
	// JS Date normalises overflowing fields and maps years 0-99 to 19xx.
	if got := jsDate(2023, 12, 1, 0, 0, 0); !got.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("month overflow: %v", got)
	}
	if got := jsDate(70, 0, 1, 0, 0, 0); got.Year() != 1970 {
		t.Errorf("two-digit year: %v", got)
	}
	if got := jsDate(2024, 0, 1, 25, 61, -1); !got.Equal(time.Date(2024, 1, 2, 2, 0, 59, 0, time.UTC)) {
		t.Errorf("time overflow: %v", got)
	}
}
