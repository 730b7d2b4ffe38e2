//! Parquet files: typed columns, Snappy compressed, written a row group at a
//! time while the rows stream from SQLite.

use crate::reader::{cell, for_each_row, Cell, Column, Kind, Meta, Table};
use crate::sink::{create_hashing, finish_hashing, Written};
use crate::{SnapshotError, SnapshotOptions, PROGRESS_EVERY, ROW_GROUP_ROWS};
use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use rusqlite::Connection;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// One column's values of the current row group.
enum Buffer {
    Integer(Vec<i64>),
    Real(Vec<f64>),
    Text(Vec<ByteArray>),
}

struct ColumnBuffer {
    values: Buffer,
    /// Definition levels (1 = value, 0 = NULL); used for nullable columns.
    defs: Vec<i16>,
    nullable: bool,
}

impl ColumnBuffer {
    fn new(column: &Column, capacity: usize) -> ColumnBuffer {
        let values = match column.kind {
            Kind::Integer => Buffer::Integer(Vec::with_capacity(capacity)),
            Kind::Real => Buffer::Real(Vec::with_capacity(capacity)),
            Kind::Text => Buffer::Text(Vec::with_capacity(capacity)),
        };
        ColumnBuffer {
            values,
            defs: Vec::with_capacity(if column.nullable { capacity } else { 0 }),
            nullable: column.nullable,
        }
    }

    fn push(&mut self, cell: Cell<'_>) {
        let present = !matches!(cell, Cell::Null);
        if self.nullable {
            self.defs.push(i16::from(present));
        }
        match (&mut self.values, cell) {
            (_, Cell::Null) => {}
            (Buffer::Integer(v), Cell::Integer(x)) => v.push(x),
            (Buffer::Real(v), Cell::Real(x)) => v.push(x),
            (Buffer::Text(v), Cell::Text(s)) => v.push(ByteArray::from(s)),
            // `cell` checked the value against the column's kind.
            _ => unreachable!("cell kind matches column kind"),
        }
    }

    fn clear(&mut self) {
        match &mut self.values {
            Buffer::Integer(v) => v.clear(),
            Buffer::Real(v) => v.clear(),
            Buffer::Text(v) => v.clear(),
        }
        self.defs.clear();
    }
}

fn parquet_schema(table: &Table) -> Result<Type, parquet::errors::ParquetError> {
    let mut fields = Vec::with_capacity(table.columns.len());
    for c in &table.columns {
        let (physical, logical) = match c.kind {
            Kind::Integer => (PhysicalType::INT64, None),
            Kind::Real => (PhysicalType::DOUBLE, None),
            Kind::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
        };
        let repetition = if c.nullable {
            Repetition::OPTIONAL
        } else {
            Repetition::REQUIRED
        };
        fields.push(Arc::new(
            Type::primitive_type_builder(&c.name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()?,
        ));
    }
    Type::group_type_builder(&table.name)
        .with_fields(fields)
        .build()
}

pub(crate) fn write_parquet(
    conn: &Connection,
    table: &Table,
    meta: &Meta,
    options: &SnapshotOptions,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Written, SnapshotError> {
    let pq = |source| SnapshotError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let schema = Arc::new(parquet_schema(table).map_err(pq)?);
    let mut kv = vec![KeyValue::new("cnexport.table".into(), table.name.clone())];
    if let Some(d) = &meta.input_digest {
        kv.push(KeyValue::new("cnexport.input_digest".into(), d.clone()));
    }
    if let Some(m) = &meta.data_latest_month {
        kv.push(KeyValue::new(
            "cnexport.data_latest_month".into(),
            m.clone(),
        ));
    }
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(kv))
        .build();
    let sink = create_hashing(path)?;
    let mut writer = SerializedFileWriter::new(sink, schema, Arc::new(props)).map_err(pq)?;
    let group_rows = options.row_group_rows.max(1);
    let mut buffers: Vec<ColumnBuffer> = table
        .columns
        .iter()
        .map(|c| ColumnBuffer::new(c, group_rows.min(ROW_GROUP_ROWS)))
        .collect();
    let mut buffered = 0usize;
    let rows = for_each_row(conn, table, |n, row| {
        for (i, b) in buffers.iter_mut().enumerate() {
            b.push(cell(table, i, n, row)?);
        }
        buffered += 1;
        if buffered == group_rows {
            write_row_group(&mut writer, &mut buffers).map_err(pq)?;
            buffered = 0;
        }
        if n % PROGRESS_EVERY == 0 {
            progress(n);
        }
        Ok(())
    })?;
    // The last, partial row group (none for an empty table: zero row groups).
    if buffered > 0 {
        write_row_group(&mut writer, &mut buffers).map_err(pq)?;
    }
    progress(rows);
    let sink = writer.into_inner().map_err(pq)?;
    let (sha256, bytes) = finish_hashing(sink, path)?;
    Ok(Written {
        rows,
        sha256,
        bytes,
    })
}

fn write_row_group<W: Write + Send>(
    writer: &mut SerializedFileWriter<W>,
    buffers: &mut [ColumnBuffer],
) -> Result<(), parquet::errors::ParquetError> {
    let mut group = writer.next_row_group()?;
    for b in buffers.iter_mut() {
        let Some(mut column) = group.next_column()? else {
            return Err(parquet::errors::ParquetError::General(
                "fewer columns in the schema than in the table".into(),
            ));
        };
        let defs = b.nullable.then_some(b.defs.as_slice());
        match &b.values {
            Buffer::Integer(v) => {
                column.typed::<Int64Type>().write_batch(v, defs, None)?;
            }
            Buffer::Real(v) => {
                column.typed::<DoubleType>().write_batch(v, defs, None)?;
            }
            Buffer::Text(v) => {
                column.typed::<ByteArrayType>().write_batch(v, defs, None)?;
            }
        }
        column.close()?;
        b.clear();
    }
    group.close()?;
    Ok(())
}
