//! Enum and info metrics as prometheus_client has them: an enum is a gauge with one series
//! per state (value 1 for the current one, 0 for the others), an info a gauge `<name>_info`
//! of value 1 whose labels carry the information. Both are collectors of their registry, so
//! a snapshot never sees an enum between two states.

use crate::error::{Error, Result};
use crate::fork::{Forkable, Hold};
use crate::labels::validate_label_name;
use crate::registry::Registry;
use crate::snapshot::FamilySnapshot;
use crate::{MetricType, Value};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// Which of a set of states is current, per label set. From [`Registry::enum_metric`].
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// let e = reg
///     .enum_metric("task_state", "Task state", &[] as &[&str], &["starting", "running"])
///     .unwrap();
/// assert!(reg.encode_text().contains("task_state{task_state=\"starting\"} 1"));
/// e.state(&[] as &[&str], "running").unwrap();
/// assert!(reg.encode_text().contains("task_state{task_state=\"running\"} 1"));
/// assert!(e.state(&[] as &[&str], "lost").is_err());
/// ```
#[derive(Clone)]
pub struct EnumMetric {
    inner: Arc<EnumInner>,
}

struct EnumInner {
    name: String,
    labelnames: Vec<String>,
    states: Vec<String>,
    /// Label values and index of the current state, per series, in creation order.
    current: Mutex<Vec<(Vec<String>, usize)>>,
}

/// Information as labels of a constant series, per label set. From
/// [`Registry::info_metric`].
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// let i = reg.info_metric("build", "Build", &[] as &[&str]).unwrap();
/// i.info(&[] as &[&str], &[("version", "1.2.3")]).unwrap();
/// assert!(reg.encode_text().contains("build_info{version=\"1.2.3\"} 1"));
/// ```
#[derive(Clone)]
pub struct InfoMetric {
    inner: Arc<InfoInner>,
}

struct InfoInner {
    name: String,
    labelnames: Vec<String>,
    /// Label values and the information, per series, in creation order.
    current: Mutex<Vec<InfoSeries>>,
}

/// The label values of an info series and its `(key, value)` information.
type InfoSeries = (Vec<String>, Vec<(String, String)>);

fn owned<S: AsRef<str>>(v: &[S]) -> Vec<String> {
    v.iter().map(|s| s.as_ref().to_owned()).collect()
}

fn check_count(name: &str, expected: usize, got: usize) -> Result<()> {
    if expected != got {
        return Err(Error::LabelCount {
            metric: name.to_owned(),
            expected,
            got,
        });
    }
    Ok(())
}

impl Registry {
    /// Defines an enum metric: a gauge `name` with a label `name` (after `labelnames`)
    /// whose series for the current state is 1 and the others 0. The first state is
    /// current until [`EnumMetric::state`] says otherwise; a metric without label names
    /// reports it from the start. The name must be free in the registry.
    pub fn enum_metric<S: AsRef<str>, T: AsRef<str>>(
        &self,
        name: &str,
        help: &str,
        labelnames: &[S],
        states: &[T],
    ) -> Result<EnumMetric> {
        let mut names = owned(labelnames);
        names.push(name.to_owned());
        // Checks the name, the label names (the enum's own among them) and their number.
        let _ = FamilySnapshot::builder(name, help, MetricType::Gauge, &names)?;
        names.pop();
        let states = owned(states);
        if states.is_empty() {
            return Err(Error::InvalidConfig(format!(
                "enum metric {name:?} needs at least one state"
            )));
        }
        if let Some(s) = states
            .iter()
            .enumerate()
            .find_map(|(i, s)| states[..i].contains(s).then_some(s))
        {
            return Err(Error::InvalidConfig(format!(
                "enum metric {name:?} has the state {s:?} twice"
            )));
        }
        self.check_free(name)?;
        let inner = Arc::new(EnumInner {
            name: name.to_owned(),
            labelnames: names,
            states,
            current: Mutex::new(Vec::new()),
        });
        crate::fork::register(Arc::downgrade(&inner) as Weak<dyn Forkable>);
        let e = EnumMetric { inner };
        if e.inner.labelnames.is_empty() {
            e.init::<&str>(&[])?;
        }
        let (help, c) = (help.to_owned(), e.inner.clone());
        self.register_collector(name, move || Ok(vec![c.family(&help)]))?;
        Ok(e)
    }

    /// Defines an info metric: a gauge `<name>_info` of value 1 whose labels are
    /// `labelnames` followed by the keys given to [`InfoMetric::info`]. A metric without
    /// label names reports its (empty) information from the start. The name must be free in
    /// the registry.
    pub fn info_metric<S: AsRef<str>>(
        &self,
        name: &str,
        help: &str,
        labelnames: &[S],
    ) -> Result<InfoMetric> {
        let full = format!("{name}_info");
        crate::labels::validate_metric_name(name)?;
        let _ = FamilySnapshot::builder(&full, help, MetricType::Gauge, labelnames)?;
        self.check_free(&full)?;
        let i = InfoMetric {
            inner: Arc::new(InfoInner {
                name: full.clone(),
                labelnames: owned(labelnames),
                current: Mutex::new(Vec::new()),
            }),
        };
        crate::fork::register(Arc::downgrade(&i.inner) as Weak<dyn Forkable>);
        if labelnames.is_empty() {
            i.inner.lock().push((Vec::new(), Vec::new()));
        }
        let (help, c) = (help.to_owned(), i.inner.clone());
        self.register_collector(&full, move || c.family(&help).map(|f| vec![f]))?;
        Ok(i)
    }
}

/// The series lock of an enum or info metric, taken before a fork: the collector (on the
/// push thread) and the application both take it, and a child must not inherit it held.
struct StateHold<T: 'static, O> {
    guard: Option<MutexGuard<'static, T>>,
    _owner: Arc<O>,
}

impl<T, O> Hold for StateHold<T, O> {
    fn release(&mut self) {
        self.guard = None;
    }
}

fn hold_lock<T: Send + 'static, O: Send + Sync + 'static>(
    owner: Arc<O>,
    lock: fn(&O) -> &Mutex<T>,
) -> Box<dyn Hold> {
    let guard = lock(&owner).lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: the guard borrows from `owner`, which the hold keeps alive; the hold drops
    // (or forgets) the guard first.
    let guard = unsafe { std::mem::transmute::<MutexGuard<'_, T>, MutexGuard<'static, T>>(guard) };
    Box::new(StateHold {
        guard: Some(guard),
        _owner: owner,
    })
}

impl Forkable for EnumInner {
    fn rank(&self) -> u8 {
        2
    }
    fn hold(self: Arc<Self>) -> Box<dyn Hold> {
        hold_lock(self, |e| &e.current)
    }
}

impl Forkable for InfoInner {
    fn rank(&self) -> u8 {
        2
    }
    fn hold(self: Arc<Self>) -> Box<dyn Hold> {
        hold_lock(self, |i| &i.current)
    }
}

impl EnumInner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Vec<String>, usize)>> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn family(&self, help: &str) -> FamilySnapshot {
        let mut names = self.labelnames.clone();
        names.push(self.name.clone());
        let mut b = FamilySnapshot::builder(&self.name, help, MetricType::Gauge, &names)
            .expect("checked when defined");
        for (values, current) in self.lock().iter() {
            for (i, s) in self.states.iter().enumerate() {
                let mut v: Vec<&str> = values.iter().map(String::as_str).collect();
                v.push(s);
                let one = if i == *current { 1.0 } else { 0.0 };
                b.add(&v, Value::Gauge(one))
                    .expect("distinct states and label sets");
            }
        }
        b.build()
    }
}

impl EnumMetric {
    /// Makes `state` the current state of the series with these label values.
    pub fn state<S: AsRef<str>>(&self, label_values: &[S], state: &str) -> Result<()> {
        let e = &self.inner;
        check_count(&e.name, e.labelnames.len(), label_values.len())?;
        let i = e.states.iter().position(|s| s == state).ok_or_else(|| {
            Error::InvalidConfig(format!(
                "enum metric {:?} has no state {state:?} (its states are {:?})",
                e.name, e.states
            ))
        })?;
        let values = owned(label_values);
        let mut current = e.lock();
        match current.iter_mut().find(|(v, _)| *v == values) {
            Some(entry) => entry.1 = i,
            None => current.push((values, i)),
        }
        Ok(())
    }

    /// Starts the series with these label values in the first state, unless it exists.
    pub fn init<S: AsRef<str>>(&self, label_values: &[S]) -> Result<()> {
        let e = &self.inner;
        check_count(&e.name, e.labelnames.len(), label_values.len())?;
        let values = owned(label_values);
        let mut current = e.lock();
        if !current.iter().any(|(v, _)| *v == values) {
            current.push((values, 0));
        }
        Ok(())
    }

    /// The states, in the order given.
    pub fn states(&self) -> &[String] {
        &self.inner.states
    }
}

impl InfoInner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<InfoSeries>> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn family(&self, help: &str) -> std::result::Result<FamilySnapshot, String> {
        let current = self.lock();
        let mut names = self.labelnames.clone();
        for (_, info) in current.iter() {
            for (k, _) in info {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
        let mut b = FamilySnapshot::builder(&self.name, help, MetricType::Gauge, &names)
            .map_err(|e| e.to_string())?;
        for (values, info) in current.iter() {
            let v: Vec<&str> = names
                .iter()
                .enumerate()
                .map(|(i, n)| match values.get(i) {
                    Some(v) => v.as_str(),
                    None => info
                        .iter()
                        .find(|(k, _)| k == n)
                        .map_or("", |(_, v)| v.as_str()),
                })
                .collect();
            b.add(&v, Value::Gauge(1.0)).map_err(|e| e.to_string())?;
        }
        Ok(b.build())
    }
}

impl InfoMetric {
    /// Sets the information of the series with these label values: `(key, value)` pairs
    /// whose keys are label names other than the metric's own.
    pub fn info<S: AsRef<str>>(&self, label_values: &[S], info: &[(&str, &str)]) -> Result<()> {
        let m = &self.inner;
        check_count(&m.name, m.labelnames.len(), label_values.len())?;
        let mut pairs: Vec<(String, String)> = Vec::with_capacity(info.len());
        for (k, v) in info {
            validate_label_name(k)?;
            if m.labelnames.iter().any(|n| n == k) || pairs.iter().any(|(n, _)| n == k) {
                return Err(Error::DuplicateLabelName((*k).to_owned()));
            }
            pairs.push(((*k).to_owned(), (*v).to_owned()));
        }
        let values = owned(label_values);
        let mut current = m.lock();
        match current.iter_mut().find(|(v, _)| *v == values) {
            Some(entry) => entry.1 = pairs,
            None => current.push((values, pairs)),
        }
        Ok(())
    }

    /// Starts the series with these label values with no information, unless it exists.
    pub fn init<S: AsRef<str>>(&self, label_values: &[S]) -> Result<()> {
        let m = &self.inner;
        check_count(&m.name, m.labelnames.len(), label_values.len())?;
        let values = owned(label_values);
        let mut current = m.lock();
        if !current.iter().any(|(v, _)| *v == values) {
            current.push((values, Vec::new()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Error, Registry, Value};

    const NONE: &[&str] = &[];

    #[test]
    fn enum_reports_one_series_per_state_with_the_current_one_at_one() {
        let reg = Registry::new();
        let e = reg
            .enum_metric("job_state", "State", &["host"], &["idle", "busy"])
            .unwrap();
        assert!(reg.snapshot().family("job_state").unwrap().is_empty());
        e.init(&["a"]).unwrap();
        e.state(&["b"], "busy").unwrap();
        let snap = reg.snapshot();
        let f = snap.family("job_state").unwrap();
        assert_eq!(f.label_names(), ["host", "job_state"]);
        assert_eq!(f.get(&["a", "idle"]), Some(&Value::Gauge(1.0)));
        assert_eq!(f.get(&["a", "busy"]), Some(&Value::Gauge(0.0)));
        assert_eq!(f.get(&["b", "idle"]), Some(&Value::Gauge(0.0)));
        assert_eq!(f.get(&["b", "busy"]), Some(&Value::Gauge(1.0)));
        let err = e.state(&["a"], "gone").unwrap_err();
        assert!(err.to_string().contains("gone"), "{err}");
        assert!(matches!(
            e.state(NONE, "idle"),
            Err(Error::LabelCount { .. })
        ));
    }

    #[test]
    fn enum_refuses_no_states_twice_a_state_and_its_name_as_a_label() {
        let reg = Registry::new();
        assert!(reg.enum_metric("e", "E", NONE, NONE).is_err());
        assert!(reg.enum_metric("e", "E", NONE, &["a", "a"]).is_err());
        assert!(matches!(
            reg.enum_metric("e", "E", &["e"], &["a"]),
            Err(Error::DuplicateLabelName(n)) if n == "e"
        ));
        reg.gauge("taken", "T").build().unwrap();
        assert!(matches!(
            reg.enum_metric("taken", "E", NONE, &["a"]),
            Err(Error::Conflict { .. })
        ));
        reg.enum_metric("twice", "E", NONE, &["a"]).unwrap();
        assert!(reg.enum_metric("twice", "E", NONE, &["a"]).is_err());
    }

    #[test]
    fn info_reports_its_keys_as_labels_with_value_one() {
        let reg = Registry::new();
        let i = reg.info_metric("build", "Build", NONE).unwrap();
        assert_eq!(
            reg.snapshot().family("build_info").unwrap().get(&[]),
            Some(&Value::Gauge(1.0))
        );
        i.info(NONE, &[("version", "1.2"), ("commit", "abc")])
            .unwrap();
        let snap = reg.snapshot();
        let f = snap.family("build_info").unwrap();
        assert_eq!(f.label_names(), ["version", "commit"]);
        assert_eq!(f.get(&["1.2", "abc"]), Some(&Value::Gauge(1.0)));
        assert!(i.info(NONE, &[("__x", "1")]).is_err());
        assert!(i.info(NONE, &[("a", "1"), ("a", "2")]).is_err());

        let l = reg.info_metric("host", "Host", &["dc"]).unwrap();
        assert!(matches!(
            l.info(&["x"], &[("dc", "1")]),
            Err(Error::DuplicateLabelName(_))
        ));
        l.info(&["x"], &[("os", "linux")]).unwrap();
        l.init(&["y"]).unwrap();
        let snap = reg.snapshot();
        let f = snap.family("host_info").unwrap();
        assert_eq!(f.get(&["x", "linux"]), Some(&Value::Gauge(1.0)));
        assert_eq!(f.get(&["y", ""]), Some(&Value::Gauge(1.0)));
    }
}
