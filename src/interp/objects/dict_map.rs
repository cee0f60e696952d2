//! The map inside a dict: a CPython-style compact dict. An index table of `u64` slots (open
//! addressing, linear probing) points into a vector of entries `(hash, key, value)` kept in
//! insertion order. Deleting leaves a hole in the entries (its key `Unbound`) and a dummy in
//! the table; a resize drops the holes and rebuilds the table.
//!
//! **Why not a general hash map**: a lookup in a big dict is a chain of cache misses (a
//! hashbrown-based `IndexMap` read control bytes, slot, entry, key: four; CPython reads index,
//! entry, key: three). Here a 16-byte slot holds the entry's index, 24 bits of the key's hash,
//! the key's kind and, for an int or a string key, the int or the string's address. A probe
//! past other keys reads only the table; a hit on an int key reads only the slot (then the
//! entry for its value), on a string key the slot and then the string and the entry at once
//! (the entry is prefetched), two misses in a row instead of three.
//!
//! **Exactly CPython 3.11's growth**: an insertion into a dict with no usable entry left
//! resizes it to `calculate_log2_keysize(3 * len)`, a table of 2^k slots holds at most
//! `2^k * 2 / 3` entries (holes included), deletions never shrink it. Positions in the entries
//! are what a dict iterator walks (`iter.rs`), so a loop that deletes and inserts sees what
//! CPython's sees, holes and compactions alike.
//!
//! Keys are hashed and compared by `hashkey.rs` (Python's `==`: `1`, `1.0`, `True` are one
//! key); a key must be hashable (checked by `HashKey::new`/`HashKey::borrowed` before it gets
//! here). Touches nothing but the map.

use crate::interp::objects::hashkey::{KeyRef, key_eq, key_hash};
use crate::interp::objects::value::{HashKey, Value};

/// A slot's `meta` never used (probing stops here).
const EMPTY: u64 = 0;
/// A slot's `meta` whose entry was deleted (probing goes on past it).
const DUMMY: u64 = u64::MAX;
/// The kinds of key a slot tells apart (bits 32..40 of `meta`): a string (`word` is its
/// address), an int (`word` is the int), anything else (compared through the entry).
const KIND_STR: u64 = 1;
const KIND_INT: u64 = 2;
const KIND_OTHER: u64 = 3;
/// The bits of `meta` above the index: hash tag and kind.
const TAG_AND_KIND: u64 = !0xFFFF_FFFF;
/// The smallest table (CPython's `PyDict_MINSIZE`).
const LOG2_MIN_SIZE: u32 = 3;
/// The largest table a literal or a merge presizes (CPython's `log2_max_presize`).
const LOG2_MAX_PRESIZE: u32 = 17;

/// One entry: the key's mixed hash, the key (`Unbound` once deleted) and its value.
#[derive(Debug, Clone)]
pub struct Entry {
    hash: u64,
    key: HashKey,
    value: Value,
}

impl Entry {
    fn is_live(&self) -> bool {
        !matches!(self.key.0, Value::Unbound)
    }
}

/// One slot of the table: `meta` is `EMPTY`, `DUMMY`, or `hash_tag << 40 | kind << 32 |
/// (index + 1)` (24 bits of the mixed hash); `word` the int or the string's address of an int
/// or a string key (which the entry keeps alive).
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    meta: u64,
    word: u64,
}

/// A dict's contents: see the module doc.
#[derive(Debug, Clone, Default)]
pub struct DictMap {
    /// Empty (no table yet) or 2^k slots.
    slots: Box<[Slot]>,
    /// In insertion order, holes included (CPython's `dk_entries`, `dk_nentries` long).
    entries: Vec<Entry>,
    /// Live entries.
    used: usize,
    /// Entries that can still be appended before a resize (CPython's `dk_usable`).
    usable: usize,
}

/// The hash a dict works with: the key's hash (`hashkey.rs`) multiplied by a 64-bit odd
/// constant, so that its high half places it in the table and its low half filters slots.
#[inline]
fn mixed_hash(key: &Value) -> u64 {
    key_hash(key).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[inline]
fn home(hash: u64, mask: usize) -> usize {
    (hash >> 32) as usize & mask
}

/// A key's kind and word, as its slot holds them.
#[inline]
fn kind_and_word(key: &Value) -> (u64, u64) {
    match key {
        Value::Str(s) => (KIND_STR, s.addr() as u64),
        Value::Int(i) => (KIND_INT, *i as u64),
        _ => (KIND_OTHER, 0),
    }
}

/// The hash tag and kind bits of `meta` for a key of `hash` and `kind`.
#[inline]
fn tag_and_kind(hash: u64, kind: u64) -> u64 {
    ((hash as u32 as u64 >> 8) << 40) | (kind << 32)
}

#[inline]
fn slot_of(hash: u64, key: &Value, index: usize) -> Slot {
    let (kind, word) = kind_and_word(key);
    Slot { meta: tag_and_kind(hash, kind) | (index as u64 + 1), word }
}

/// Hints the processor to start loading `entry` (a hit's value is read next).
#[inline(always)]
fn prefetch(entry: *const Entry) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(entry as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = entry;
}

/// Asks the kernel to back the 2 MB pages inside `[start, start + len)` with huge pages
/// before they are first written: a big dict's lookups land on random pages of its table,
/// and with 4 KB pages most of them also miss the TLB.
fn advise_huge_pages(start: usize, len: usize) {
    const HUGE: usize = 2 << 20;
    if len < 2 * HUGE {
        return;
    }
    let first = start.next_multiple_of(HUGE);
    let end = (start + len) / HUGE * HUGE;
    if end > first {
        // SAFETY: the range lies inside an allocation of ours; advice changes no contents.
        unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
    }
}

/// CPython's `USABLE_FRACTION`: how many entries a table of `size` slots holds.
fn usable_fraction(size: usize) -> usize {
    (size << 1) / 3
}

/// CPython 3.11's `calculate_log2_keysize`: the table for at least `minsize` slots.
fn calculate_log2_keysize(minsize: usize) -> u32 {
    let min = 1usize << LOG2_MIN_SIZE;
    let minsize = (minsize | min) - 1;
    usize::BITS - (minsize | (min - 1)).leading_zeros()
}

/// CPython 3.11's `estimate_log2_keysize`: the table for `n` entries without a resize.
fn estimate_log2_keysize(n: usize) -> u32 {
    calculate_log2_keysize((n.saturating_mul(3).saturating_add(1)) / 2)
}

impl DictMap {
    /// A dict for `n` entries, as CPython presizes a literal (`dict_new_presized`).
    pub fn with_capacity(n: usize) -> DictMap {
        let mut map = DictMap::default();
        if n > usable_fraction(1 << LOG2_MIN_SIZE) {
            let log2 =
                if n > usable_fraction(1 << LOG2_MAX_PRESIZE) { LOG2_MAX_PRESIZE } else { estimate_log2_keysize(n) };
            map.resize(log2);
        }
        map
    }

    pub fn len(&self) -> usize {
        self.used
    }

    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// The position of `key`'s entry, if it has one; `hash` is its `mixed_hash`.
    #[inline]
    fn find(&self, key: &Value, hash: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let (kind, word) = kind_and_word(key);
        let want = tag_and_kind(hash, kind);
        let mut i = home(hash, mask);
        loop {
            let slot = self.slots[i];
            if slot.meta == EMPTY {
                return None;
            }
            if slot.meta & TAG_AND_KIND == want {
                let index = (slot.meta as u32 - 1) as usize;
                prefetch(self.entries.as_ptr().wrapping_add(index));
                let equal = match (kind, key) {
                    (KIND_INT, _) => slot.word == word,
                    (KIND_STR, Value::Str(s)) => {
                        // SAFETY: a live slot's string key is kept alive (and unchanged: the
                        // entry holds a handle, so nobody appends to it) by its entry.
                        slot.word == word
                            || unsafe { crate::interp::objects::value::Str::text_at(slot.word as usize) } == s.as_str()
                    }
                    _ => key_eq(&self.entries[index].key.0, key),
                };
                if equal {
                    return Some(index);
                }
            } else if slot.meta != DUMMY && (slot.meta ^ want) >> 40 == 0 {
                // The same hash tag, another kind: `1`, `1.0` and `True` are one key.
                let index = (slot.meta as u32 - 1) as usize;
                if key_eq(&self.entries[index].key.0, key) {
                    return Some(index);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// The table slot that points at entry `index` (which is live and has `hash`).
    fn slot_pointing_at(&self, hash: u64, index: usize) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = home(hash, mask);
        while self.slots[i].meta as u32 as usize != index + 1 || self.slots[i].meta == DUMMY {
            i = (i + 1) & mask;
        }
        i
    }

    /// The position of `key`'s entry (a live one), if any.
    #[inline]
    pub fn get_index_of(&self, key: &KeyRef<'_>) -> Option<usize> {
        self.find(key.value(), mixed_hash(key.value()))
    }

    /// Is entry `index` live and `key`'s? (A quick check of a remembered position.)
    #[inline]
    pub fn entry_is(&self, index: usize, key: &KeyRef<'_>) -> bool {
        match self.entries.get(index) {
            Some(entry) if entry.is_live() => {
                let key = key.value();
                match (&entry.key.0, key) {
                    // Same object, or equal text: a string's cached hash settles most misses.
                    (Value::Str(a), Value::Str(b)) => {
                        crate::interp::objects::value::Str::ptr_eq(a, b)
                            || (entry.hash == mixed_hash(key) && a.as_str() == b.as_str())
                    }
                    (stored, _) => key_eq(stored, key),
                }
            }
            _ => false,
        }
    }

    pub fn get(&self, key: &KeyRef<'_>) -> Option<&Value> {
        self.get_index_of(key).map(|i| &self.entries[i].value)
    }

    pub fn contains_key(&self, key: &KeyRef<'_>) -> bool {
        self.get_index_of(key).is_some()
    }

    /// Entry `index` if it is live (a hole or past the end: `None`).
    #[inline]
    pub fn get_index(&self, index: usize) -> Option<(&HashKey, &Value)> {
        self.entries.get(index).filter(|e| e.is_live()).map(|e| (&e.key, &e.value))
    }

    /// Entry `index` if it is live, its value writable.
    #[inline]
    pub fn get_index_mut(&mut self, index: usize) -> Option<(&HashKey, &mut Value)> {
        self.entries.get_mut(index).filter(|e| e.is_live()).map(|e| (&e.key, &mut e.value))
    }

    /// The first live entry at position `from` or after: its position, key and value (what a
    /// dict iterator gives next).
    #[inline]
    pub fn next_entry(&self, from: usize) -> Option<(usize, &HashKey, &Value)> {
        let rest = self.entries.get(from..)?;
        let skip = rest.iter().position(Entry::is_live)?;
        let entry = &rest[skip];
        Some((from + skip, &entry.key, &entry.value))
    }

    /// `d[key] = value`: the position of `key`'s entry and the value replaced (`None` for a new
    /// key, appended at the end). The key is cloned only when it is new.
    #[inline]
    pub fn insert_borrowed(&mut self, key: &KeyRef<'_>, value: Value) -> (usize, Option<Value>) {
        let key = key.value();
        let hash = mixed_hash(key);
        if let Some(index) = self.find(key, hash) {
            let old = std::mem::replace(&mut self.entries[index].value, value);
            return (index, Some(old));
        }
        (self.append(hash, HashKey(key.clone()), value), None)
    }

    /// `d[key] = value` with an owned key: the value replaced, if any.
    pub fn insert(&mut self, key: HashKey, value: Value) -> Option<Value> {
        let hash = mixed_hash(&key.0);
        if let Some(index) = self.find(&key.0, hash) {
            return Some(std::mem::replace(&mut self.entries[index].value, value));
        }
        self.append(hash, key, value);
        None
    }

    /// Appends a new key (not in the map), resizing first when no entry is usable.
    fn append(&mut self, hash: u64, key: HashKey, value: Value) -> usize {
        if self.usable == 0 {
            // CPython's insertion_resize: GROWTH_RATE is 3 * used.
            let log2 = if self.slots.is_empty() { LOG2_MIN_SIZE } else { calculate_log2_keysize(self.used * 3) };
            self.resize(log2);
        }
        let index = self.entries.len();
        let mask = self.slots.len() - 1;
        let mut i = home(hash, mask);
        while self.slots[i].meta != EMPTY && self.slots[i].meta != DUMMY {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot_of(hash, &key.0, index);
        self.entries.push(Entry { hash, key, value });
        self.used += 1;
        self.usable -= 1;
        index
    }

    /// A table of 2^`log2` slots holding the live entries, compacted, in their order.
    fn resize(&mut self, log2: u32) {
        let size = 1usize << log2;
        let capacity = usable_fraction(size);
        let mut entries = Vec::with_capacity(capacity.max(self.used));
        entries.extend(std::mem::take(&mut self.entries).into_iter().filter(Entry::is_live));
        let mut slots = Vec::with_capacity(size);
        advise_huge_pages(slots.as_ptr() as usize, size * std::mem::size_of::<Slot>());
        slots.resize(size, Slot::default());
        let mut slots = slots.into_boxed_slice();
        let mask = size - 1;
        for (index, entry) in entries.iter().enumerate() {
            let mut i = home(entry.hash, mask);
            while slots[i].meta != EMPTY {
                i = (i + 1) & mask;
            }
            slots[i] = slot_of(entry.hash, &entry.key.0, index);
        }
        self.usable = capacity.saturating_sub(entries.len());
        self.slots = slots;
        self.entries = entries;
    }

    /// Takes entry `index` (live) out: its key and value; the table keeps a dummy.
    fn take_entry(&mut self, index: usize) -> (HashKey, Value) {
        let hash = self.entries[index].hash;
        let slot = self.slot_pointing_at(hash, index);
        self.slots[slot] = Slot { meta: DUMMY, word: 0 };
        self.used -= 1;
        let entry = &mut self.entries[index];
        (std::mem::replace(&mut entry.key, HashKey(Value::Unbound)), std::mem::take(&mut entry.value))
    }

    /// `del d[key]` / `d.pop(key)`: the value removed, if `key` was there.
    pub fn remove(&mut self, key: &KeyRef<'_>) -> Option<Value> {
        let index = self.get_index_of(key)?;
        Some(self.take_entry(index).1)
    }

    /// `d.popitem()`: the last entry, taken out (CPython also forgets the holes after it).
    pub fn pop(&mut self) -> Option<(HashKey, Value)> {
        let index = self.entries.iter().rposition(Entry::is_live)?;
        let item = self.take_entry(index);
        self.entries.truncate(index);
        Some(item)
    }

    /// `d.copy()` as CPython 3.11 makes it: the same layout when at most a third of the
    /// entries are holes, else the live entries inserted into a dict presized for them.
    pub fn copy(&self) -> DictMap {
        if self.used >= self.entries.len() * 2 / 3 {
            return self.clone();
        }
        let mut copy = DictMap::default();
        copy.reserve_for_merge(self.used);
        for entry in self.entries.iter().filter(|e| e.is_live()) {
            copy.append(entry.hash, entry.key.clone(), entry.value.clone());
        }
        copy
    }

    /// Before merging `incoming` entries (`d.update(other)`, `dict(other)`, `|`): one resize
    /// up front when the table is smaller than they need, as CPython's `dict_merge` does.
    pub fn reserve_for_merge(&mut self, incoming: usize) {
        let size = if self.slots.is_empty() { 1 << LOG2_MIN_SIZE } else { self.slots.len() };
        if usable_fraction(size) < incoming {
            self.resize(estimate_log2_keysize(self.used + incoming));
        }
    }

    /// The live entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&HashKey, &Value)> {
        self.entries.iter().filter(|e| e.is_live()).map(|e| (&e.key, &e.value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &HashKey> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.iter().map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(v: &Value) -> KeyRef<'_> {
        HashKey::borrowed(v).unwrap()
    }

    #[test]
    fn keysizes_are_cpythons() {
        assert_eq!(calculate_log2_keysize(0), 3);
        assert_eq!(calculate_log2_keysize(8), 3);
        assert_eq!(calculate_log2_keysize(9), 4);
        assert_eq!(calculate_log2_keysize(15), 4);
        assert_eq!(calculate_log2_keysize(16), 5);
        assert_eq!(calculate_log2_keysize(30), 5);
        assert_eq!(estimate_log2_keysize(6), 4);
        assert_eq!(usable_fraction(8), 5);
    }

    #[test]
    fn inserts_deletes_and_growth_keep_order_and_holes() {
        let mut m = DictMap::default();
        for i in 0..100 {
            assert!(m.insert(HashKey(Value::Int(i)), Value::Int(i * 2)).is_none());
        }
        assert_eq!(m.len(), 100);
        for i in (0..100).step_by(3) {
            assert!(matches!(m.remove(&key(&Value::Int(i))), Some(Value::Int(v)) if v == i * 2));
        }
        assert!(m.remove(&key(&Value::Int(0))).is_none());
        assert_eq!(m.len(), 66);
        assert!(m.get_index(0).is_none(), "a hole where 0 was");
        let (pos, k, _) = m.next_entry(0).unwrap();
        assert_eq!(pos, 1);
        assert!(matches!(k.0, Value::Int(1)));
        // Re-inserting a deleted key goes to the end; replacing keeps the place.
        m.insert(HashKey(Value::Int(0)), Value::None);
        assert!(matches!(m.keys().last().unwrap().0, Value::Int(0)));
        let (index, old) = m.insert_borrowed(&key(&Value::Float(1.0)), Value::Int(7));
        assert_eq!(index, 1);
        assert!(matches!(old, Some(Value::Int(2))));
        let keys: Vec<i64> = m.keys().map(|k| if let Value::Int(i) = k.0 { i } else { -1 }).collect();
        let mut expected: Vec<i64> = (0..100).filter(|i| i % 3 != 0).collect();
        expected.push(0);
        assert_eq!(keys, expected);
        for i in 0..200 {
            assert_eq!(m.contains_key(&key(&Value::Int(i))), i < 100 && (i % 3 != 0 || i == 0));
        }
    }

    #[test]
    fn popitem_and_copy() {
        let mut m = DictMap::default();
        for i in 0..6 {
            m.insert(HashKey(Value::str(&format!("k{i}"))), Value::Int(i));
        }
        m.remove(&key(&Value::str("k5")));
        let (k, v) = m.pop().unwrap();
        assert!(matches!(&k.0, Value::Str(s) if s.as_str() == "k4"));
        assert!(matches!(v, Value::Int(4)));
        for i in 0..4 {
            m.remove(&key(&Value::str(&format!("k{i}"))));
        }
        assert!(m.is_empty());
        assert!(m.pop().is_none());
        let copy = m.copy();
        assert!(copy.is_empty());
        m.insert(HashKey(Value::str("x")), Value::None);
        assert_eq!(m.copy().len(), 1);
    }
}
