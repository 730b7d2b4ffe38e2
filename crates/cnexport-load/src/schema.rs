//! The database schema. Documented for analysts in `docs/schema.md`; keep
//! the two in step.

/// Bumped on any change of tables or meanings.
pub const SCHEMA_VERSION: u32 = 2;

pub const SCHEMA_SQL: &str = "
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE countries (
  country_code TEXT PRIMARY KEY,
  name_zh      TEXT NOT NULL,
  name_en      TEXT,
  name_pinyin  TEXT NOT NULL,
  continent    TEXT,
  continent_zh TEXT,
  iso3         TEXT,
  iso2         TEXT,
  m49          TEXT,
  in_reference INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE country_tags (
  country_code TEXT NOT NULL,
  tag          TEXT NOT NULL,
  tag_zh       TEXT NOT NULL,
  PRIMARY KEY (country_code, tag)
) WITHOUT ROWID;

CREATE TABLE products (
  hs_code     TEXT PRIMARY KEY,
  level       INTEGER NOT NULL,
  name_zh     TEXT,
  name_en     TEXT,
  name_source TEXT
) WITHOUT ROWID;

CREATE TABLE monthly_facts (
  hs_code      TEXT    NOT NULL,
  country_code TEXT    NOT NULL,
  month        INTEGER NOT NULL,
  value        INTEGER NOT NULL,
  quantity1    INTEGER NOT NULL,
  unit1        TEXT,
  quantity2    INTEGER NOT NULL,
  unit2        TEXT,
  first_value  INTEGER NOT NULL,
  source_file  INTEGER NOT NULL,
  PRIMARY KEY (hs_code, country_code, month)
) WITHOUT ROWID;

CREATE TABLE source_files (
  release_order     INTEGER PRIMARY KEY,
  path              TEXT NOT NULL,
  sha256            TEXT NOT NULL,
  size              INTEGER NOT NULL,
  format            TEXT NOT NULL,
  language          TEXT NOT NULL,
  encoding          TEXT,
  rows_read         INTEGER NOT NULL,
  rows_loaded       INTEGER NOT NULL,
  rows_quarantined  INTEGER NOT NULL,
  rows_superseded   INTEGER NOT NULL,
  value_loaded      INTEGER NOT NULL,
  value_quarantined INTEGER NOT NULL,
  value_superseded  INTEGER NOT NULL,
  warnings          TEXT NOT NULL
);

CREATE TABLE hs_base_metrics (
  hs_code                    TEXT    NOT NULL,
  level                      INTEGER NOT NULL,
  as_of_month                INTEGER NOT NULL,
  recent12m_global_total     INTEGER NOT NULL,
  prev12m_global_total       INTEGER NOT NULL,
  yoy_growth_rate            REAL,
  value_month                INTEGER NOT NULL,
  value_prev_month           INTEGER NOT NULL,
  mom_growth_rate            REAL,
  active_countries_count     INTEGER NOT NULL,
  active_countries_prev      INTEGER NOT NULL,
  monthly_activity_count     INTEGER NOT NULL,
  top3_concentration_percent REAL,
  avg_country_active_months  REAL,
  first_unit                 TEXT,
  first_quantity             INTEGER,
  second_unit                TEXT,
  second_quantity            INTEGER,
  asia_total INTEGER NOT NULL,
  asia_prev_total INTEGER NOT NULL,
  europe_total INTEGER NOT NULL,
  europe_prev_total INTEGER NOT NULL,
  africa_total INTEGER NOT NULL,
  africa_prev_total INTEGER NOT NULL,
  north_america_total INTEGER NOT NULL,
  north_america_prev_total INTEGER NOT NULL,
  south_america_total INTEGER NOT NULL,
  south_america_prev_total INTEGER NOT NULL,
  oceania_total INTEGER NOT NULL,
  oceania_prev_total INTEGER NOT NULL,
  middle_east_total INTEGER NOT NULL,
  middle_east_prev_total INTEGER NOT NULL,
  belt_road_total INTEGER NOT NULL,
  belt_road_prev_total INTEGER NOT NULL,
  asean_total INTEGER NOT NULL,
  asean_prev_total INTEGER NOT NULL,
  eu_total INTEGER NOT NULL,
  eu_prev_total INTEGER NOT NULL,
  usmca_total INTEGER NOT NULL,
  usmca_prev_total INTEGER NOT NULL,
  best_region                TEXT,
  best_region_percent        REAL,
  g3                         REAL NOT NULL,
  g12                        REAL NOT NULL,
  gb                         REAL NOT NULL,
  momentum_score             REAL NOT NULL,
  value_year_ago_month       INTEGER NOT NULL,
  hhi                        REAL,
  hhi_prev                   REAL,
  effective_markets          REAL,
  effective_markets_prev     REAL,
  markets_entered            INTEGER NOT NULL,
  markets_exited             INTEGER NOT NULL,
  first_quantity_prev        INTEGER NOT NULL,
  unit_both_windows          TEXT,
  PRIMARY KEY (hs_code, as_of_month)
) WITHOUT ROWID;

CREATE TABLE hs_count_month (
  hs_code          TEXT    NOT NULL,
  level            INTEGER NOT NULL,
  country_code     TEXT    NOT NULL,
  as_of_month      INTEGER NOT NULL,
  recent12m_total  INTEGER NOT NULL,
  prev12m_total    INTEGER NOT NULL,
  monthly_avg      REAL    NOT NULL,
  three_year_cagr  REAL,
  quantity1        INTEGER NOT NULL,
  quantity1_prev   INTEGER NOT NULL,
  PRIMARY KEY (hs_code, country_code)
) WITHOUT ROWID;

CREATE TABLE quarantine (
  path   TEXT    NOT NULL,
  line   INTEGER NOT NULL,
  reason TEXT    NOT NULL,
  detail TEXT    NOT NULL,
  raw    TEXT    NOT NULL
);
";

/// Indexes, created after the rows are in (faster, and the same file).
pub const INDEX_SQL: &str = "
CREATE INDEX monthly_facts_by_country ON monthly_facts (country_code, hs_code, month);
CREATE INDEX monthly_facts_by_month ON monthly_facts (month, hs_code);
CREATE INDEX hs_base_metrics_by_month ON hs_base_metrics (as_of_month, level, hs_code);
";
