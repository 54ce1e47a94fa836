"""LuaLS signatures of the `sql` module (docs/modules/sql.md); wippy/lua/stubs reads them."""
SIGNATURES = """
get(id: string): sql.DB?, error?  -- the database of a db.sql.* entry
as.int(value: any): any
as.float(value: any): any
as.text(value: any): any
as.binary(value: string): any
as.null(): any
builder.select(...: string): sql.SelectBuilder
builder.insert(table?: string): sql.Builder
builder.update(table?: string): sql.Builder
builder.delete(table?: string): sql.Builder
builder.expr(sql: string, ...: any): any
builder.eq(map: table|string, value?: any): any
builder.not_eq(map: table|string, value?: any): any
builder.lt(map: table): any
builder.lte(map: table): any
builder.gt(map: table): any
builder.gte(map: table): any
builder.like(map: table): any
builder.not_like(map: table): any
builder.and_(parts: table): any
builder.or_(parts: table): any

class sql.DB
  type(): string?, error?
  query(sql: string, params?: any[]): table[]?, error?
  execute(sql: string, params?: any[]): {last_insert_id: integer, rows_affected: integer}?, error?
  prepare(sql: string): sql.Statement?, error?
  begin(options?: {isolation?: string, read_only?: boolean}): sql.Tx?, error?
  release(): boolean?, error?
  stats(): table?, error?

class sql.Tx
  query(sql: string, params?: any[]): table[]?, error?
  execute(sql: string, params?: any[]): {last_insert_id: integer, rows_affected: integer}?, error?
  prepare(sql: string): sql.Statement?, error?
  commit(): boolean?, error?
  rollback(): boolean?, error?
  savepoint(name: string): boolean?, error?
  rollback_to(name: string): boolean?, error?
  release(name: string): boolean?, error?
  db_type(): string?, error?

class sql.Statement
  query(params?: any[]): table[]?, error?
  execute(params?: any[]): {last_insert_id: integer, rows_affected: integer}?, error?
  close(): boolean?, error?

class sql.SelectBuilder
  from(table: string): sql.SelectBuilder
  join(clause: string, ...: any): sql.SelectBuilder
  left_join(clause: string, ...: any): sql.SelectBuilder
  where(cond: any, ...: any): sql.SelectBuilder
  order_by(...: string): sql.SelectBuilder
  group_by(...: string): sql.SelectBuilder
  limit(n: integer): sql.SelectBuilder
  offset(n: integer): sql.SelectBuilder
  to_sql(): string, any[]
  run_with(db: sql.DB|sql.Tx): sql.Executor

class sql.Builder
  into(table: string): sql.Builder
  columns(...: string): sql.Builder
  values(...: any): sql.Builder
  set(column: string, value: any): sql.Builder
  set_map(map: table): sql.Builder
  where(cond: any, ...: any): sql.Builder
  to_sql(): string, any[]
  run_with(db: sql.DB|sql.Tx): sql.Executor

class sql.Executor
  exec(): {last_insert_id: integer, rows_affected: integer}?, error?
  query(): table[]?, error?
"""
