//! Work spread over every core with the results kept in order: files to
//! parse, configurations to check, rules to run. Each thread takes the next
//! item as it finishes one (items differ a lot in size), and the results come
//! back in the items' order, so output never depends on which thread was
//! faster.

/// `work` on every item, on every core at once, each taking the next item
/// as it finishes one; the results come back in the items' order, so the
/// output never depends on which thread was faster.
pub fn in_order<'a, T: Sync, R: Send>(items: &'a [T], work: impl Fn(&'a T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if workers < 2 {
        return items.iter().map(work).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            break done;
                        };
                        done.push((i, work(item)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_items_order_whatever_finishes_first() {
        let items: Vec<u64> = (0..200).collect();
        let squares = in_order(&items, |&n| {
            // Early items take longest, so threads finish out of order.
            std::thread::sleep(std::time::Duration::from_micros(200 - n));
            n * n
        });
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        assert!(in_order(&[] as &[u8], |&b| b).is_empty());
    }
}
