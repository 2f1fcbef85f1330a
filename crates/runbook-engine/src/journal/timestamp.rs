//! When a journal event was written: milliseconds since the Unix epoch, on disk as
//! `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    millis: u64,
}

impl Timestamp {
    pub fn now() -> Timestamp {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Timestamp { millis: u64::try_from(since.as_millis()).unwrap_or(u64::MAX) }
    }

    pub fn from_millis(millis: u64) -> Timestamp {
        Timestamp { millis }
    }

    pub fn millis(self) -> u64 {
        self.millis
    }

    /// How long before `now` this was (zero for a time after it).
    pub fn age(self, now: Timestamp) -> Duration {
        Duration::from_millis(now.millis.saturating_sub(self.millis))
    }

    /// `HH:MM:SS`, the time of day a timeline shows.
    pub fn time_of_day(self) -> String {
        let s = (self.millis / 1000) % 86_400;
        format!("{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.mmm]Z`.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let (date, time) = text.split_once('T')?;
        let mut d = date.splitn(3, '-').map(|x| x.parse::<i64>().ok());
        let (y, m, day) = (d.next()??, d.next()??, d.next()??);
        let mut t = time.strip_suffix('Z')?.splitn(3, ':');
        let (h, mi) = (t.next()?.parse::<u64>().ok()?, t.next()?.parse::<u64>().ok()?);
        let rest = t.next()?;
        let (sec, ms) = rest.split_once('.').unwrap_or((rest, "0"));
        let (sec, ms) = (sec.parse::<u64>().ok()?, ms.parse::<u64>().ok()?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || mi > 59 || sec > 60 || ms > 999 {
            return None;
        }
        let days = u64::try_from(days_from_civil(y, m, day)).ok()?;
        Some(Timestamp { millis: (days * 86_400 + h * 3600 + mi * 60 + sec) * 1000 + ms })
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.millis / 1000;
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        let s = secs % 86_400;
        write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", s / 3600, (s % 3600) / 60, s % 60, self.millis % 1000)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a time like 2026-11-30T05:28:12.186Z")))
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The inverse of [`civil_from_days`].
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_778), (2026, 11, 21));
        assert_eq!(days_from_civil(2026, 11, 21), 20_778);
    }

    #[test]
    fn text_round_trips() {
        let text = "2026-11-30T05:28:12.186Z";
        let t = Timestamp::parse(text).expect("parses");
        assert_eq!(t.to_string(), text);
        assert_eq!(t.time_of_day(), "05:28:12");
        assert_eq!(Timestamp::parse("2026-11-30T05:28:12Z").map(|t| t.millis() % 1000), Some(0));
        assert_eq!(Timestamp::parse("2026-13-30T05:28:12.186Z"), None);
        assert_eq!(Timestamp::parse("yesterday"), None);
        assert_eq!(t.age(Timestamp::from_millis(t.millis() + 1500)), Duration::from_millis(1500));
    }
}
