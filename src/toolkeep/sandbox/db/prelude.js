function __toolkeep_install_db(sdk, hostCall) {
  "use strict";
  const NativeError = Error, NativePromise = Promise, NativeDate = Date;
  const isArray = Array.isArray, keys = Object.keys, freeze = Object.freeze;
  const define = Object.defineProperty, create = Object.create, getProto = Object.getPrototypeOf;
  const apply = Reflect.apply, then = Promise.prototype.then;
  const promiseFinally = Promise.prototype.finally, promiseResolve = Promise.resolve;
  const promiseReject = Promise.reject;
  const isSafeInteger = Number.isSafeInteger, isFinite = Number.isFinite;
  const stringify = JSON.stringify, toStr = String, ObjectProto = Object.prototype;
  const exec = RegExp.prototype.exec, lower = String.prototype.toLowerCase;
  const trim = String.prototype.trim, split = String.prototype.split;
  const indexOf = String.prototype.indexOf, sliceStr = String.prototype.slice;
  const join = Array.prototype.join, toISOString = Date.prototype.toISOString;
  const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
  const MAX_IDENT = 64;
  const PREFIX = "sdk.db: ";
  const DIALECTS = create(null);
  DIALECTS.postgres = "postgres"; DIALECTS.postgresql = "postgres";
  DIALECTS.mysql = "mysql"; DIALECTS.mariadb = "mysql";
  const OPS = create(null);
  OPS["="] = "="; OPS["!="] = "<>"; OPS["<"] = "<"; OPS["<="] = "<=";
  OPS[">"] = ">"; OPS[">="] = ">="; OPS.like = "LIKE"; OPS.in = "IN";
  const OP_LIST = "=, !=, <, <=, >, >=, like, in";
  const MYSQL_NO_LIMIT = "18446744073709551615";

  function coded(error, code, dbCode) {
    error.code = code;
    if (dbCode !== undefined) error.dbCode = dbCode;
    return error;
  }
  function invalid(message) { return coded(new NativeError(PREFIX + message), "query_invalid"); }
  // Errors of asynchronous work reuse an Error made at the tool's call (QuickJS keeps no
  // async stack), so they point at the tool's own line.
  // A message that names sdk.db itself ("sdk.db is not available ...") is kept whole.
  function retarget(site, message, code, dbCode) {
    if (apply(indexOf, message, [PREFIX]) === 0) {
      message = apply(sliceStr, message, [PREFIX.length]);
    }
    site.message = apply(indexOf, message, ["sdk.db "]) === 0 ? message : PREFIX + message;
    return coded(site, code, dbCode);
  }
  function rejected(reason) { return apply(promiseReject, NativePromise, [reason]); }
  function hostFailure(site, reason) {
    let message = "the database call failed", code = "query_failed", dbCode;
    if (reason !== null && typeof reason === "object") {
      if (typeof reason.message === "string") message = reason.message;
      if (typeof reason.code === "string") code = reason.code;
      if (typeof reason.db_code === "string") dbCode = reason.db_code;
      else if (typeof reason.dbCode === "string") dbCode = reason.dbCode;
    } else if (typeof reason === "string") {
      message = reason;
    }
    return retarget(site, message, code, dbCode);
  }

  function name(value, what, maxParts, star) {
    if (typeof value !== "string") throw invalid(what + " must be a string");
    const parts = apply(split, value, ["."]);
    if (parts.length > maxParts) {
      throw invalid(what + " " + stringify(value) + " has too many dots");
    }
    const quoted = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (star && part === "*" && i === parts.length - 1) { quoted[i] = "*"; continue; }
      if (part.length > MAX_IDENT || apply(exec, IDENT, [part]) === null) {
        throw invalid(what + " " + stringify(value) + " is not a valid name (letters, " +
          "digits and _, not starting with a digit" +
          (maxParts > 1 ? "; a.b for a qualified name)" : ")"));
      }
      quoted[i] = part;
    }
    return quoted;
  }
  function scalar(value, what) {
    if (value === null) return null;
    const type = typeof value;
    if (type === "string" || type === "boolean") return value;
    if (type === "number") {
      if (!isFinite(value)) throw invalid(what + " is not a finite number");
      return value;
    }
    if (type === "bigint") return toStr(value);
    if (value instanceof NativeDate) {
      try {
        return apply(toISOString, value, []);
      } catch (e) {
        throw invalid(what + " is an invalid Date");
      }
    }
    if (type === "undefined") throw invalid(what + " is undefined");
    throw invalid(what + " must be a string, number, boolean, null or Date");
  }
  function columnValue(value, what) {  // insert/update: objects and arrays are sent as JSON text
    if (value !== null && typeof value === "object" && !(value instanceof NativeDate)) {
      const text = stringify(value);
      if (typeof text !== "string") throw invalid(what + " cannot be converted to JSON");
      return text;
    }
    return scalar(value, what);
  }
  function plainObject(value) {
    if (value === null || typeof value !== "object" || isArray(value)) return false;
    const proto = getProto(value);
    return proto === ObjectProto || proto === null;
  }
  function own(object, key) { return apply(ObjectProto.hasOwnProperty, object, [key]); }
  function low(text) { return apply(lower, apply(trim, text, []), []); }
  function insertIdOf(answer) {
    return answer.last_insert_id === undefined ? null : answer.last_insert_id;
  }

  function db(config) {
    if (config === null || typeof config !== "object") {
      throw coded(new NativeError(PREFIX + "expects {type, connection}, e.g. " +
        "sdk.db({type: 'postgres', connection: env.DATABASE_URL})"), "connection_invalid");
    }
    const connection = config.connection;
    if (typeof connection !== "string" || connection === "") {
      throw coded(new NativeError(PREFIX + "connection must be a connection string such as " +
        "postgres://user:password@host:5432/dbname (keep it in env)"), "connection_invalid");
    }
    let type = config.type;
    if (type === undefined || type === null) {
      const at = apply(indexOf, connection, ["://"]);
      type = at > 0 ? apply(sliceStr, connection, [0, at]) : "";
    }
    const dialect = typeof type === "string" ? DIALECTS[low(type)] : undefined;
    if (dialect === undefined) {
      const message = PREFIX + "type must be 'postgres' or 'mysql'";
      throw coded(new NativeError(message), "db_type_invalid");
    }
    const quote = dialect === "postgres" ? "\"" : "`";

    function quoted(value, what, maxParts, star) {
      const parts = name(value, what, maxParts, star);
      for (let i = 0; i < parts.length; i++) {
        if (parts[i] !== "*") parts[i] = quote + parts[i] + quote;
      }
      return apply(join, parts, ["."]);
    }
    function send(site, sql, bindings) {
      if (typeof hostCall !== "function") {
        return rejected(retarget(site, "sdk.db is not available here (no host to run queries)",
          "unavailable"));
      }
      let pending;
      try {
        const payload = { type: dialect, connection: connection, sql: sql, bindings: bindings };
        pending = hostCall("db", payload);
      } catch (e) {
        return rejected(hostFailure(site, e));
      }
      return apply(then, apply(promiseResolve, NativePromise, [pending]), [
        function (answer) {
          if (answer === null || typeof answer !== "object" || !isArray(answer.rows)) {
            throw retarget(site, "the host sent an invalid answer", "query_failed");
          }
          return answer;
        },
        function (reason) { throw hostFailure(site, reason); },
      ]);
    }
    function rowsOf(answer) {
      const rows = answer.rows;
      define(rows, "rowCount", { value: answer.row_count });
      define(rows, "truncated", { value: answer.truncated === true });
      define(rows, "fields", { value: answer.fields });
      define(rows, "insertId", { value: insertIdOf(answer) });
      return rows;
    }

    function raw(sql, bindings) {
      const site = new NativeError("sdk.db");
      if (typeof sql !== "string" || sql === "") {
        return rejected(retarget(site, "raw(sql, bindings): sql must be a non-empty string",
          "query_invalid"));
      }
      const values = [];
      if (bindings !== undefined && bindings !== null) {
        if (!isArray(bindings)) {
          return rejected(retarget(site, "raw(sql, bindings): bindings must be an array",
            "query_invalid"));
        }
        try {
          for (let i = 0; i < bindings.length; i++) {
            values[i] = scalar(bindings[i], "binding " + (i + 1));
          }
        } catch (e) {
          return rejected(retarget(site, e.message, "query_invalid"));
        }
      }
      return apply(then, send(site, sql, values), [rowsOf]);
    }

    function table(tableName) {
      const site = new NativeError("sdk.db");
      const from = quoted(tableName, "table name", 2, false);
      let kind = "select", all = false, first = false, limit = null, offset = null;
      let running = null, insertRows = null, changes = null;
      const columns = [], wheres = [], orders = [], returning = [];

      function open() {
        if (running !== null) {
          throw invalid("this query already ran; start a new one with db(table)");
        }
      }
      function become(next) {
        open();
        if (kind !== "select") {
          throw invalid("a query is one of select, insert, update or delete, not " + kind +
            " and " + next);
        }
        kind = next;
      }
      function addWhere(column, op, value) {
        const col = quoted(column, "column name", 3, false);
        const label = "where(" + stringify(column);
        if (value === undefined) throw invalid(label + "): the value is undefined");
        if (value === null) {
          if (op === "=") return pushWhere(col + " IS NULL", []);
          if (op === "!=") return pushWhere(col + " IS NOT NULL", []);
          throw invalid(label + ", " + stringify(op) + ", null): only = and != compare with null");
        }
        if (op === "in") {
          if (!isArray(value)) throw invalid(label + ", 'in', values): values must be an array");
          if (value.length === 0) return pushWhere("1 = 0", []);
          const marks = [], values = [];
          for (let i = 0; i < value.length; i++) {
            marks[i] = "?";
            values[i] = scalar(value[i], label + ", 'in') value " + (i + 1));
          }
          return pushWhere(col + " IN (" + apply(join, marks, [", "]) + ")", values);
        }
        return pushWhere(col + " " + OPS[op] + " ?", [scalar(value, label + ") value")]);
      }
      function pushWhere(sql, values) {
        wheres[wheres.length] = { sql: sql, values: values };
      }
      function addNames(target, args, star) {
        const list = args.length === 1 && isArray(args[0]) ? args[0] : args;
        for (let i = 0; i < list.length; i++) {
          target[target.length] = quoted(list[i], "column name", 3, star);
        }
        return list.length;
      }

      const builder = {
        select(...cols) {
          open();
          if (kind !== "select") throw invalid("select() cannot be combined with " + kind + "()");
          addNames(columns, cols, true);
          return builder;
        },
        where(column, opOrValue, value) {
          open();
          if (arguments.length === 1) {
            if (!plainObject(column)) {
              throw invalid("where() takes (column, value), (column, op, value) or an object " +
                "{column: value}");
            }
            const columnNames = keys(column);
            for (let i = 0; i < columnNames.length; i++) {
              addWhere(columnNames[i], "=", column[columnNames[i]]);
            }
          } else if (arguments.length === 2) {
            addWhere(column, "=", opOrValue);
          } else {
            const op = typeof opOrValue === "string" ? low(opOrValue) : "";
            if (OPS[op] === undefined) {
              throw invalid("where(): operator " + stringify(toStr(opOrValue)) +
                " is not allowed (allowed: " + OP_LIST + ")");
            }
            addWhere(column, op, value);
          }
          return builder;
        },
        orderBy(column, direction) {
          open();
          const col = quoted(column, "column name", 3, false);
          let dir = "asc";
          if (direction !== undefined) dir = typeof direction === "string" ? low(direction) : "";
          if (dir !== "asc" && dir !== "desc") {
            throw invalid("orderBy(): direction must be 'asc' or 'desc'");
          }
          orders[orders.length] = col + (dir === "asc" ? " ASC" : " DESC");
          return builder;
        },
        limit(n) {
          open();
          if (!isSafeInteger(n) || n < 0) throw invalid("limit(n): n must be a whole number >= 0");
          limit = n;
          return builder;
        },
        offset(n) {
          open();
          if (!isSafeInteger(n) || n < 0) throw invalid("offset(n): n must be a whole number >= 0");
          offset = n;
          return builder;
        },
        first() {
          open();
          first = true;
          limit = 1;
          return builder;
        },
        insert(data) {
          become("insert");
          const list = isArray(data) ? data : [data];
          if (list.length === 0) throw invalid("insert(): nothing to insert (an empty array)");
          for (let i = 0; i < list.length; i++) {
            if (!plainObject(list[i])) {
              throw invalid("insert() takes an object or an array of objects");
            }
          }
          insertRows = list;
          return builder;
        },
        update(data) {
          become("update");
          if (!plainObject(data)) throw invalid("update() takes an object {column: value}");
          changes = data;
          return builder;
        },
        delete() { become("delete"); return builder; },
        del() { become("delete"); return builder; },
        all() { open(); all = true; return builder; },
        returning(...cols) {
          open();
          if (addNames(returning, cols, true) === 0) returning[returning.length] = "*";
          return builder;
        },
        toSQL() {
          const spec = build();
          return { sql: spec.sql, bindings: spec.bindings };
        },
        then(onFulfilled, onRejected) { return apply(then, run(), [onFulfilled, onRejected]); },
        catch(onRejected) { return apply(then, run(), [undefined, onRejected]); },
        finally(onFinally) { return apply(promiseFinally, run(), [onFinally]); },
      };

      function whereClause(bindings) {
        if (wheres.length === 0) return "";
        const parts = [];
        for (let i = 0; i < wheres.length; i++) {
          parts[i] = wheres[i].sql;
          const values = wheres[i].values;
          for (let j = 0; j < values.length; j++) bindings[bindings.length] = values[j];
        }
        return " WHERE " + apply(join, parts, [" AND "]);
      }
      function returningClause() {
        return returning.length ? " RETURNING " + apply(join, returning, [", "]) : "";
      }
      function selectSql(bindings) {
        const list = columns.length ? apply(join, columns, [", "]) : "*";
        let sql = "SELECT " + list + " FROM " + from;
        sql += whereClause(bindings);
        if (orders.length) sql += " ORDER BY " + apply(join, orders, [", "]);
        if (limit !== null) sql += " LIMIT " + limit;
        else if (offset !== null && dialect === "mysql") sql += " LIMIT " + MYSQL_NO_LIMIT;
        if (offset !== null) sql += " OFFSET " + offset;
        return sql;
      }
      function insertSql(bindings) {
        const names = [], index = create(null);
        for (let r = 0; r < insertRows.length; r++) {
          const row = insertRows[r], rowKeys = keys(row);
          for (let k = 0; k < rowKeys.length; k++) {
            const key = rowKeys[k];
            if (row[key] !== undefined && index[key] === undefined) {
              index[key] = names.length;
              names[names.length] = key;
            }
          }
        }
        if (names.length === 0) {
          if (insertRows.length > 1) throw invalid("insert(): the objects have no columns");
          const empty = dialect === "postgres" ? " DEFAULT VALUES" : " () VALUES ()";
          return "INSERT INTO " + from + empty + returningClause();
        }
        const cols = [];
        for (let c = 0; c < names.length; c++) cols[c] = quoted(names[c], "column name", 1, false);
        const tuples = [];
        for (let r = 0; r < insertRows.length; r++) {
          const row = insertRows[r], marks = [];
          for (let c = 0; c < names.length; c++) {
            const key = names[c];
            if (own(row, key) && row[key] !== undefined) {
              const what = "insert() value of " + stringify(key);
              bindings[bindings.length] = columnValue(row[key], what);
              marks[c] = "?";
            } else {
              marks[c] = "DEFAULT";
            }
          }
          tuples[r] = "(" + apply(join, marks, [", "]) + ")";
        }
        return "INSERT INTO " + from + " (" + apply(join, cols, [", "]) + ") VALUES " +
          apply(join, tuples, [", "]) + returningClause();
      }
      function guardAll(verb) {
        if (wheres.length === 0 && !all) {
          throw invalid(verb + "() without where() would " +
            (verb === "update" ? "change" : "delete") + " every row of " + tableName +
            "; add .where(...), or chain .all() to really " + verb + " all rows");
        }
      }
      function updateSql(bindings) {
        const changed = keys(changes), sets = [];
        for (let i = 0; i < changed.length; i++) {
          const value = changes[changed[i]];
          if (value === undefined) continue;
          const col = quoted(changed[i], "column name", 1, false);
          const what = "update() value of " + stringify(changed[i]);
          bindings[bindings.length] = columnValue(value, what);
          sets[sets.length] = col + " = ?";
        }
        if (sets.length === 0) throw invalid("update(): no column to change");
        guardAll("update");
        return "UPDATE " + from + " SET " + apply(join, sets, [", "]) + whereClause(bindings) +
          returningClause();
      }
      function build() {
        const bindings = [];
        let sql;
        if (kind !== "select" && (orders.length || limit !== null || offset !== null || first)) {
          throw invalid("orderBy(), limit(), offset() and first() apply to select queries only");
        }
        if (kind === "select" && returning.length) {
          throw invalid("returning() applies to insert, update and delete");
        }
        if (kind === "select") sql = selectSql(bindings);
        else if (kind === "insert") sql = insertSql(bindings);
        else if (kind === "update") sql = updateSql(bindings);
        else {
          guardAll("delete");
          sql = "DELETE FROM " + from + whereClause(bindings) + returningClause();
        }
        return { sql: sql, bindings: bindings };
      }
      function shape(answer) {
        if (kind === "select") {
          const rows = rowsOf(answer);
          return first ? (rows.length ? rows[0] : null) : rows;
        }
        if (returning.length) return rowsOf(answer);
        return { rowCount: answer.row_count, insertId: insertIdOf(answer) };
      }
      function run() {
        if (running === null) {
          let spec;
          try {
            spec = build();
          } catch (e) {
            const code = (e && e.code) || "query_invalid";
            running = rejected(retarget(site, toStr(e && e.message), code));
            return running;
          }
          running = apply(then, send(site, spec.sql, spec.bindings), [shape]);
        }
        return running;
      }
      return freeze(builder);
    }

    const client = function (tableName) { return table(tableName); };
    define(client, "table", { value: table, enumerable: true });
    define(client, "raw", { value: raw, enumerable: true });
    define(client, "type", { value: dialect, enumerable: true });
    return freeze(client);
  }

  if (sdk !== null && (typeof sdk === "object" || typeof sdk === "function")) {
    try {
      define(sdk, "db", { value: db, enumerable: true });
    } catch (e) { /* a frozen sdk: the caller installs the returned function */ }
  }
  return db;
}
