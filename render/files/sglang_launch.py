import logging, os, runpy, sys
key = os.environ.pop("SGLANG_API_KEY", "")
if not key:
    sys.exit("SGLANG_API_KEY is empty: the API key Secret is missing its api-key value")
make_record = logging.getLogRecordFactory()
def redacting_record(*args, **kwargs):
    record = make_record(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:
        return record
    if key in message:
        record.msg, record.args = message.replace(key, "<redacted>"), None
    return record
logging.setLogRecordFactory(redacting_record)
sys.argv = ["sglang.launch_server", *sys.argv[1:], "--api-key", key]
runpy.run_module("sglang.launch_server", run_name="__main__", alter_sys=True)
