//! The tool or reasoning cell picked for expanding, with the keys (transcript focus) or a click.
//! Its own type so the rule of where Up/Down goes among foldable cells reads apart from the
//! content and the drawing.

use super::Cell;

/// The picked foldable cell, if any.
#[derive(Debug, Default, Clone, Copy)]
pub struct Selection(Option<usize>);

impl Selection {
    pub fn get(&self) -> Option<usize> {
        self.0
    }

    pub fn set(&mut self, i: usize) {
        self.0 = Some(i);
    }

    pub fn clear(&mut self) {
        self.0 = None;
    }

    /// Moves to the previous (`back`) or next tool or reasoning cell of `cells`, starting from
    /// the bottom and staying put at either end; returns the cell now picked.
    pub fn step(&mut self, cells: &[Cell], back: bool) -> Option<usize> {
        let foldable: Vec<usize> = (0..cells.len())
            .filter(|&i| cells[i].is_foldable())
            .collect();
        self.0 = match (self.0, back) {
            (None, _) => foldable.last().copied(),
            (Some(s), true) => foldable.iter().rev().find(|&&i| i < s).copied().or(Some(s)),
            (Some(s), false) => foldable.iter().find(|&&i| i > s).copied().or(Some(s)),
        };
        self.0
    }
}
