"""
A ClickHouse 26.9 engine (chDB) behind a line protocol, for test/support/chdb-database.ts.

One JSON request per stdin line, one JSON answer per stdout line, in order:
  {"op": "query" | "command", "sql": str, "tables": [{"name", "structure", "rows": base64}]}
  {"op": "insert", "table": str, "columns": [str] | null, "format": "RowBinary" | "JSONEachRow", "data": base64}
answers {"ok": true, "body": str} (the query's JSONEachRow text) or {"ok": false, "error": str}
(ClickHouse's message, `Code: N. DB::Exception: ...`). The session's data lives in the directory
given as argv[1], removed when stdin closes.
"""
import base64
import json
import os
import shutil
import sys
import tempfile

import chdb.session

# As the project's HTTP client asks of every server (shared/platform/adapters/clickhouse/client.ts);
# chDB's default is the opposite.
SESSION_SETTINGS = ["SET output_format_json_quote_64bit_integers = 1"]


def quote(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Engine:
    def __init__(self, path):
        self.session = chdb.session.Session(path)
        self.scratch = tempfile.mkdtemp(prefix="rows-", dir=path)
        for statement in SESSION_SETTINGS:
            self.session.query(statement)

    def run(self, statement, fmt="JSONEachRow"):
        return self.session.query(statement, fmt).bytes().decode("utf-8")

    def write_file(self, data):
        handle, path = tempfile.mkstemp(dir=self.scratch)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        return path

    def insert_from(self, target, data, fmt):
        # FROM INFILE reads the rows as bytes, whatever the format; an empty file inserts nothing.
        path = self.write_file(data)
        try:
            self.run(f"INSERT INTO {target} FROM INFILE {quote(path)} FORMAT {fmt}")
        finally:
            os.remove(path)

    def query(self, request):
        # External data (a multipart part per table on the HTTP interface) becomes the temporary
        # table the server would have made of it: the statement reads it by the same bare name.
        tables = request.get("tables") or []
        try:
            for table in tables:
                self.run(f"CREATE TEMPORARY TABLE {table['name']} ({table['structure']})")
                self.insert_from(table["name"], base64.b64decode(table["rows"]), "RowBinary")
            return self.run(request["sql"])
        finally:
            for table in tables:
                self.run(f"DROP TEMPORARY TABLE IF EXISTS {table['name']}")

    def insert(self, request):
        columns = request.get("columns")
        target = request["table"] + (f" ({', '.join(columns)})" if columns else "")
        self.insert_from(target, base64.b64decode(request["data"]), request["format"])
        return ""

    def handle(self, request):
        op = request["op"]
        if op == "query" or op == "command":
            return self.query(request)
        if op == "insert":
            return self.insert(request)
        raise ValueError(f"unknown op {op!r}")


def main():
    engine = Engine(sys.argv[1])
    try:
        serve(engine)
    finally:
        engine.session.close()
        # The caller may be gone (a test worker exiting closes our stdin): the data goes with us.
        shutil.rmtree(sys.argv[1], ignore_errors=True)


def serve(engine):
    out = sys.stdout
    out.write(json.dumps({"ok": True, "body": engine.run("SELECT version() AS version")}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = {"ok": True, "body": engine.handle(json.loads(line))}
        except Exception as error:  # noqa: BLE001 - every failure is the caller's to classify
            answer = {"ok": False, "error": str(error)}
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
