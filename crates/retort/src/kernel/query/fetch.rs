//! Running a list query: the page and the count, concurrently, as one `Page`.

use super::ListQuery;

impl ListQuery {
    /// Runs the page statement only: one page with its cursor and `total` 0 — for
    /// walking a whole list (a batch job), where counting every page would cost more
    /// than reading it.
    pub async fn fetch_page<T>(
        &self,
        db: &crate::kernel::db::Db,
        columns: &str,
        read: fn(&sqlx::any::AnyRow) -> Result<T, sqlx::Error>,
    ) -> Result<crate::kernel::pagination::Page<T>, sqlx::Error> {
        let rows = self
            .page_sql(db.backend(), columns)
            .query()
            .fetch_all(db.pool())
            .await?;
        let more = rows.len() > self.limit as usize;
        let rows = &rows[..rows.len().min(self.limit as usize)];
        let next_cursor = match rows.last() {
            Some(last) if more => Some(self.cursor_after(last)?),
            _ => None,
        };
        let items = rows.iter().map(read).collect::<Result<_, _>>()?;
        Ok(crate::kernel::pagination::Page {
            items,
            next_cursor,
            total: 0,
        })
    }

    /// Runs the page and count statements on `db` (concurrently) and reads the rows with
    /// `read`: one page with its cursor and total.
    pub async fn fetch<T>(
        &self,
        db: &crate::kernel::db::Db,
        columns: &str,
        read: fn(&sqlx::any::AnyRow) -> Result<T, sqlx::Error>,
    ) -> Result<crate::kernel::pagination::Page<T>, sqlx::Error> {
        use sqlx::Row;
        let page_sql = self.page_sql(db.backend(), columns);
        let count_sql = self.count_sql(db.backend());
        let (rows, count) = tokio::try_join!(
            page_sql.query().fetch_all(db.pool()),
            count_sql.query().fetch_one(db.pool())
        )?;
        let total: i64 = count.try_get(0)?;
        let more = rows.len() > self.limit as usize;
        let rows = &rows[..rows.len().min(self.limit as usize)];
        let next_cursor = match rows.last() {
            Some(last) if more => Some(self.cursor_after(last)?),
            _ => None,
        };
        let items = rows.iter().map(read).collect::<Result<_, _>>()?;
        Ok(crate::kernel::pagination::Page {
            items,
            next_cursor,
            total,
        })
    }
}
