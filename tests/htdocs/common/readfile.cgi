#!/bin/sh
# Try to read one of the suite's protected files by absolute path with cat.
printf 'Content-Type: text/plain\n\n'
case "$QUERY_STRING" in
    f=a-secret) f="$DOCUMENT_ROOT/../a/secret.txt" ;;
    f=b-secret) f="$DOCUMENT_ROOT/../b/secret.txt" ;;
    f=group-tx) f="$DOCUMENT_ROOT/../../shared/group-tx.txt" ;;
    *) echo "unknown file"; exit 0 ;;
esac
if out=$(cat "$f" 2>&1); then
    echo "READ-OK $out"
else
    echo "READ-FAILED $out"
fi
echo "euid=$(id -u)"
