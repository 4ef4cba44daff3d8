//! The check's rows: each measured figure beside its published value.

use super::*;

struct Rows<'a> {
    rows: Vec<CheckRow>,
    scale: f64,
    ys: &'a Years,
    acc: &'a Acc,
}

impl Rows<'_> {
    fn push(
        &mut self,
        measure: &str,
        year: Option<i32>,
        generated: f64,
        published: f64,
        kind: CheckKind,
    ) {
        if generated.is_finite() {
            self.rows.push(CheckRow {
                measure: measure.to_string(),
                year,
                generated,
                published,
                kind,
            });
        }
    }
    fn count(&mut self, measure: &str, year: Option<i32>, generated: u64, published: f64) {
        self.push(
            measure,
            year,
            generated as f64,
            published * self.scale,
            CheckKind::Count,
        );
    }
    fn share(&mut self, measure: &str, year: Option<i32>, num: u64, den: u64, published: f64) {
        if den > 0 {
            self.push(
                measure,
                year,
                num as f64 / den as f64,
                published,
                CheckKind::Share,
            );
        }
    }
    fn snap(&self, year: i32) -> Option<&Snap> {
        let k = self.ys.snap.iter().position(|&(y, _)| y == year)?;
        self.acc.snap.get(k)
    }
    fn flow(&self, year: i32) -> Option<&Flow> {
        let i = year - self.ys.flow0;
        if i < 0 {
            return None;
        }
        self.acc.flow.get(i as usize)
    }
}

/// Reads one tally from a year's flows.
type FlowGet = fn(&Flow) -> u64;

/// `total / n`, or None for no cases.
fn mean(total: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| total as f64 / n as f64)
}

pub(super) fn rows(out: &SynthOutput, cfg: &SynthConfig, ys: &Years, acc: &Acc) -> Vec<CheckRow> {
    let mut r = Rows {
        rows: Vec::new(),
        scale: cfg.scale,
        ys,
        acc,
    };
    for p in published() {
        let generated = match p.measure {
            "children looked after at 31 March" => r.snap(p.year).map(|s| s.cla),
            "unaccompanied asylum-seeking children at 31 March" => r.snap(p.year).map(|s| s.uasc),
            "children in need at 31 March" => r.snap(p.year).map(|s| s.cin),
            "child protection plans at 31 March" => r.snap(p.year).map(|s| s.cpp),
            "started to be looked after" => r.flow(p.year).map(|f| f.starts),
            "ceased to be looked after" => r.flow(p.year).map(|f| f.ceased),
            "adopted" => r.flow(p.year).map(|f| f.exits[0]),
            "placement changes" => r.flow(p.year).map(|f| f.changes),
            "referrals" => r.flow(p.year).map(|f| f.referrals),
            "assessments" => r.flow(p.year).map(|f| f.assessments),
            "section 47 enquiries" => r.flow(p.year).map(|f| f.s47),
            _ => None,
        };
        if let Some(g) = generated {
            r.count(p.measure, Some(p.year), g, p.value);
        }
        // Mean days (not scaled): the measure's own year, or the three years to it for A1.
        let days = match p.measure {
            "entry to adoption (mean days)" => {
                r.flow(p.year).and_then(|f| mean(f.adopt_days, f.adopt_n))
            }
            "A1 entry to placed for adoption (mean days over 3 years)" => {
                let fs: Vec<&Flow> = (p.year - 2..=p.year).filter_map(|y| r.flow(y)).collect();
                let sum = |get: FlowGet| fs.iter().map(|f| get(f)).sum::<u64>();
                (fs.len() == 3)
                    .then(|| mean(sum(|f| f.placed_days), sum(|f| f.placed_n)))
                    .flatten()
            }
            // Little's law: the stock at 31 March over the starts of the year to it.
            "period of care (mean days as stock / starts)" => r
                .snap(p.year)
                .zip(r.flow(p.year))
                .and_then(|(s, f)| mean(s.cla * 36_525, f.starts * 100)),
            _ => None,
        };
        if let Some(d) = days {
            r.push(p.measure, Some(p.year), d, p.value, CheckKind::Count);
        }
    }
    if let Some(k) = ys.rate_year {
        let pops: Vec<f64> = out
            .councils
            .iter()
            .map(|c| f64::from(c.child_population))
            .collect();
        let rates: Vec<f64> = acc
            .council_cla
            .iter()
            .zip(&pops)
            .map(|(&n, &p)| 10_000.0 * n as f64 / p.max(1.0))
            .collect();
        let national = 10_000.0 * acc.snap[k].cla as f64 / pops.iter().sum::<f64>().max(1.0);
        let hi = rates.iter().copied().fold(f64::MIN, f64::max);
        let lo = rates.iter().copied().fold(f64::MAX, f64::min);
        r.push(
            "looked-after rate per 10,000: England",
            Some(2025),
            national,
            67.0,
            CheckKind::Count,
        );
        r.push(
            "looked-after rate per 10,000: highest council",
            Some(2025),
            hi,
            184.0,
            CheckKind::Count,
        );
        r.push(
            "looked-after rate per 10,000: lowest council",
            Some(2025),
            lo,
            27.0,
            CheckKind::Count,
        );
    }
    if acc.placements > 0 {
        let mean = acc.placement_days as f64 / acc.placements as f64;
        r.push("placement, mean days", None, mean, 300.0, CheckKind::Count);
    }
    // Shares.
    if let Some(s) = r.snap(2025).cloned() {
        r.share("CLA male", Some(2025), s.male, s.cla, 0.56);
        for (k, v) in [0.71, 0.11, 0.08, 0.05, 0.04].into_iter().enumerate() {
            r.share(
                &format!("CLA ethnicity: {}", ETHNICITIES[k]),
                Some(2025),
                s.eth[k],
                s.cla,
                v,
            );
        }
    }
    if let Some(s) = r.snap(2024).cloned() {
        let published = [0.156, 0.55, 0.11, 0.098, 0.06, 0.03, 0.033];
        for (k, v) in published.into_iter().enumerate() {
            r.share(
                &format!("CLA placement: {}", PLACEMENT_GROUPS[k]),
                Some(2024),
                s.group[k],
                s.cla,
                v,
            );
        }
    }
    if let Some(s) = r.snap(2022).cloned() {
        for (k, v) in [0.05, 0.14, 0.18, 0.39, 0.25].into_iter().enumerate() {
            r.share(
                &format!("CLA age: {}", AGE_BANDS[k]),
                Some(2022),
                s.age[k],
                s.cla,
                v,
            );
        }
        r.share(
            "CLA category of need: abuse or neglect",
            Some(2022),
            s.n1,
            s.cla,
            0.66,
        );
    }
    if let Some(s) = r.snap(2020).cloned() {
        r.share(
            "CLA legal status: care order",
            Some(2020),
            s.care_order,
            s.cla,
            0.77,
        );
        r.share(
            "CLA legal status: section 20",
            Some(2020),
            s.s20,
            s.cla,
            0.17,
        );
        r.share(
            "CLA legal status: placement order",
            Some(2020),
            s.placement_order,
            s.cla,
            0.06,
        );
    }
    if let Some(f) = r.flow(2024).cloned() {
        for (k, v) in [0.16, 0.15, 0.15, 0.26, 0.29].into_iter().enumerate() {
            r.share(
                &format!("age at starting care: {}", AGE_BANDS[k]),
                Some(2024),
                f.start_age[k],
                f.starts,
                v,
            );
        }
        let measure = "re-referrals within 12 months (share of referrals)";
        if let Some(p) = published()
            .into_iter()
            .find(|p| p.measure == measure && p.year == 2024)
        {
            r.share(measure, Some(2024), f.rereferrals, f.referrals, p.value);
        }
        r.share(
            "episodes of need ending lasting 3 months or less",
            Some(2024),
            f.episodes_short,
            f.episodes_ended,
            0.48,
        );
    }
    if let Some(f) = r.flow(2025).cloned() {
        r.share(
            "leavers aged 18 or over",
            Some(2025),
            f.leavers_18,
            f.ceased,
            0.38,
        );
    }
    let last = (ys.n_flow > 0).then(|| ys.flow0 + ys.n_flow as i32 - 1);
    let mut exits = [0u64; 6];
    for f in &acc.flow {
        add(&mut exits, &f.exits);
    }
    let ceased: u64 = exits.iter().sum();
    for (k, v) in [(3, 0.32), (0, 0.115), (1, 0.125), (4, 0.333)] {
        r.share(
            &format!("reason ceased: {}", EXITS[k]),
            None,
            exits[k],
            ceased,
            v,
        );
    }
    r.share(
        "leavers looked after under 2 weeks",
        last,
        acc.leavers_2w,
        acc.leavers_known,
        0.11,
    );
    r.share(
        "leavers looked after under 1 year",
        last,
        acc.leavers_1y,
        acc.leavers_known,
        0.46,
    );
    r.share(
        "special guardianship to relative or friend",
        None,
        acc.sgo_kin,
        acc.sgo,
        0.90,
    );
    r.rows
}
