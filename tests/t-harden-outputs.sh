#!/bin/sh
# hm: step outputs and logs against careless input (issue 9): a key as
# long as keys go still gets its log, a huge output value cannot break
# later steps' environment, two outputs cannot share a variable, and
# HM_OUTPUTS has the last step's outputs.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
X="$HM_EXEC"

# 1. a valid key of 255 bytes: its log (and a neighbour that differs only
# at the end) exist, the output is not lost, the run passes
k1=$(printf 'k%.0s' $(seq 254))a
k2=$(printf 'k%.0s' $(seq 254))b
cat >long.json <<JSON
{"version":"1","steps":[
 {"type":"command","key":"$k1","builds_in":null,"eval":{"type":"cmd","cmd":"echo out-of-a; exit 1"},"soft_fail":true},
 {"type":"command","key":"$k2","builds_in":null,"eval":{"type":"cmd","cmd":"echo out-of-b; exit 1"},"soft_fail":true}]}
JSON
"$X" --log-dir logs long.json >out 2>&1
check "long keys: the run passes" test $? -eq 0
check "long keys: two logs" test "$(ls logs | grep -c '\.log$')" -eq 2
check "long keys: a's output logged" sh -c 'cat logs/*.log | grep -q out-of-a'
check "long keys: b's output logged" sh -c 'cat logs/*.log | grep -q out-of-b'
check "long keys: names fit" sh -c 'for f in logs/*; do n=$(basename "$f"); [ ${#n} -le 255 ] || exit 1; done'

# 2. an output value of 200 KiB does not stop an unrelated later step;
# a warning names it; HM_OUTPUTS keeps it whole
cat >big.json <<'JSON'
{"version":"1","steps":[
 {"type":"command","key":"big","builds_in":null,"eval":{"type":"cmd","cmd":"printf 'blob=' >>\"$HM_OUTPUT\"; head -c 204800 /dev/zero | tr '\\0' x >>\"$HM_OUTPUT\"; echo >>\"$HM_OUTPUT\"; echo small=1 >>\"$HM_OUTPUT\""}},
 {"type":"command","key":"later","builds_in":"big","eval":{"type":"cmd","cmd":"test \"$HM_OUT_BIG_SMALL\" = 1 && test -z \"$HM_OUT_BIG_BLOB\" && cp \"$HM_OUTPUTS\" seen.json"}}]}
JSON
"$X" --log-dir l2 big.json >out 2>&1
check "big value: the later step runs and passes" test $? -eq 0
check "big value: a warning names it" grep -q "output 'blob' of step 'big' is 204800 bytes" out
check "big value: whole in HM_OUTPUTS" sh -c 'test "$(jq -r .big.blob seen.json | wc -c)" -eq 204801'

# 3. step b output c_d and step b_c output d are both HM_OUT_B_C_D: the
# later one fails, naming both, and cannot spoof the earlier
cat >clash.json <<'JSON'
{"version":"1","steps":[
 {"type":"command","key":"b","builds_in":null,"eval":{"type":"cmd","cmd":"echo c_d=genuine >>\"$HM_OUTPUT\""}},
 {"type":"command","key":"b_c","builds_in":"b","eval":{"type":"cmd","cmd":"echo d=spoofed >>\"$HM_OUTPUT\""}},
 {"type":"command","key":"use","builds_in":"b_c","eval":{"type":"cmd","cmd":"echo \"got=$HM_OUT_B_C_D\""}}]}
JSON
must_fail 1 "clashing outputs fail the run" "$X" -k --log-dir l3 clash.json >out 2>&1
check "the clash names both" grep -q "output 'd' of step 'b_c' would be HM_OUT_B_C_D, as output 'c_d' of step 'b' is" out
check "the spoofed value is not used" sh -c '! grep -q got=spoofed out l3/*.log'

# 4. HM_OUTPUTS has the outputs of the last step to finish
cat >last.json <<'JSON'
{"version":"1","steps":[
 {"type":"command","key":"first","builds_in":null,"eval":{"type":"cmd","cmd":"echo a=1 >>\"$HM_OUTPUT\""}},
 {"type":"command","key":"last","builds_in":"first","eval":{"type":"cmd","cmd":"echo z=26 >>\"$HM_OUTPUT\""}}]}
JSON
"$X" --log-dir l4 last.json >out 2>&1
check "last: the run passes" test $? -eq 0
check "last: outputs.json has the last step" sh -c 'test "$(jq -r .last.z l4/outputs.json)" = 26'
finish
