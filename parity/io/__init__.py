"""File input: candle and trade files (CSV, CSV.gz, Parquet) into validated DataFrames."""
