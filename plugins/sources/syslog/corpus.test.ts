/**
 * Table-driven conformance: real-world messages (RFC examples, what util-linux logger,
 * rsyslog, systemd, network gear and appliances send, and the edge cases peers' suites cover:
 * rsyslog's "malformed messages", go-syslog's RFC 5424 table, Vector's syslog_loose tests)
 * with every expected field. Received at 2026-11-25T12:00:00Z from 192.0.2.7, timezone UTC.
 */
import { describe, expect, it } from "vitest";
import { parseSyslog, UTC, type ParseContext } from "./parse.js";

const ctx: ParseContext = { zone: UTC, now: () => Date.parse("2026-11-25T12:00:00.000Z"), remoteIp: "192.0.2.7" };

type Row = [name: string, input: string | Buffer, createdAt: string | null, data: Record<string, unknown>];
/** An unparsed row: the raw text is the message; the error must match. */
type Bad = [name: string, input: string | Buffer, parseError: RegExp];

const U = "user";
const N = "notice";
const BOM = "\uFEFF";

const messages: Row[] = [
  // ---- RFC 5424 6.5 examples and the RFC's own corner cases ----
  ["5424 ex1", `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`, "2003-10-11T22:14:15.003Z",
    { facility: "auth", severity: "crit", version: 1, hostname: "mymachine.example.com", appName: "su", msgId: "ID47", message: "'su root' failed for lonvick on /dev/pts/8" }],
  ["5424 ex2", "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.", "2003-08-24T12:14:15.000Z",
    { facility: "local4", severity: N, version: 1, hostname: "192.0.2.1", appName: "myproc", procId: "8710", message: "%% It's time to make the do-nuts." }],
  ["5424 ex3", `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`, "2003-10-11T22:14:15.003Z",
    { facility: "local4", severity: N, version: 1, hostname: "mymachine.example.com", appName: "evntslog", msgId: "ID47", structuredData: { "exampleSDID@32473": { iut: "3", eventSource: "Application", eventID: "1011" } }, message: "An application event log entry..." }],
  ["5424 ex4", '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]', "2003-10-11T22:14:15.003Z",
    { facility: "local4", severity: N, version: 1, hostname: "mymachine.example.com", appName: "evntslog", msgId: "ID47", structuredData: { "exampleSDID@32473": { iut: "3", eventSource: "Application", eventID: "1011" }, "examplePriority@32473": { class: "high" } } }],
  ["5424 all NIL", "<1>1 - - - - - -", null, { facility: "kern", severity: "alert", version: 1 }],
  ["5424 PRI 0", "<0>1 - - - - - -", null, { facility: "kern", severity: "emerg", version: 1 }],
  ["5424 PRI 191", "<191>1 - - - - - - last", null, { facility: "local7", severity: "debug", version: 1, message: "last" }],
  ["5424 version 2", "<13>2 - - - - - - v2", null, { facility: U, severity: N, version: 2, message: "v2" }],
  ["5424 RFC 3339 example 1", "<13>1 1985-04-12T23:20:50.52Z h a - - -", "1985-04-12T23:20:50.520Z", { facility: U, severity: N, version: 1, hostname: "h", appName: "a" }],
  ["5424 RFC 3339 example 2", "<13>1 1985-04-12T19:20:50.52-04:00 h a - - -", "1985-04-12T23:20:50.520Z", { facility: U, severity: N, version: 1, hostname: "h", appName: "a" }],
  ["5424 fraction .1", "<13>1 2026-11-25T11:00:00.1Z h a - - - m", "2026-11-25T11:00:00.100Z", { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "m" }],
  ["5424 fraction 9 digits", "<13>1 2026-11-25T11:00:00.987654321Z h a - - - m", "2026-11-25T11:00:00.987Z", { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "m" }],
  ["5424 offset +14:00", "<13>1 2026-11-26T01:00:00+14:00 h a - - - m", "2026-11-25T11:00:00.000Z", { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "m" }],
  ["5424 offset -12:00", "<13>1 2026-11-24T23:00:00-12:00 h a - - - m", "2026-11-25T11:00:00.000Z", { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "m" }],
  ["5424 offset +05:45 (Nepal)", "<13>1 2026-11-25T16:45:00.5+05:45 h a - - - m", "2026-11-25T11:00:00.500Z", { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "m" }],
  ["5424 leap day", "<13>1 2024-02-29T12:00:00Z h a - - -", "2024-02-29T12:00:00.000Z", { facility: U, severity: N, version: 1, hostname: "h", appName: "a" }],
  ["5424 NIL timestamp", "<13>1 - h a - - - m", null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "m" }],
  ["5424 empty MSG after SD", '<13>1 2026-11-25T12:00:00Z h a - - [x y="z"]', "2026-11-25T12:00:00.000Z", { facility: U, severity: N, version: 1, hostname: "h", appName: "a", structuredData: { x: { y: "z" } } }],
  ["5424 empty MSG after space", "<13>1 - h a - - - ", null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a" }],
  ["5424 only a BOM", `<13>1 - h a - - - ${BOM}`, null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a" }],
  ["5424 CRLF", "<13>1 - h a - - - crlf\r\n", null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "crlf" }],
  ["5424 LF", "<13>1 - h a - - - lf\n", null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "lf" }],
  ["5424 inner newline kept", "<13>1 - h a - - - one\ntwo", null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "one\ntwo" }],
  ["5424 leading spaces of MSG kept (rsyslog %msg%)", "<30>1 2026-11-25T13:00:00.123456+01:00 web01 systemd 1 - -  Started Session 42 of user root.", "2026-11-25T12:00:00.123Z",
    { facility: "daemon", severity: "info", version: 1, hostname: "web01", appName: "systemd", procId: "1", message: " Started Session 42 of user root." }],
  ["5424 SD escapes", '<13>1 - h a - - [esc@1 q="\\"quoted\\"" path="C:\\\\Windows" br="[0\\]"] m', null,
    { facility: U, severity: N, version: 1, hostname: "h", appName: "a", structuredData: { "esc@1": { q: '"quoted"', path: "C:\\Windows", br: "[0]" } }, message: "m" }],
  ["5424 SD unknown escape kept", '<13>1 - h a - - [e@1 v="tab\\there"]', null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", structuredData: { "e@1": { v: "tab\\there" } } }],
  ["5424 SD value with ] and [ inside quotes", '<13>1 - h a - - [e@1 v="a] [b"] m', null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", structuredData: { "e@1": { v: "a] [b" } }, message: "m" }],
  ["5424 SD empty value", '<13>1 - h a - - [e@1 v=""]', null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", structuredData: { "e@1": { v: "" } } }],
  ["5424 SD UTF-8 value", '<13>1 - h a - - [e@1 city="Zürich" snow="☃"]', null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", structuredData: { "e@1": { city: "Zürich", snow: "☃" } } }],
  ["5424 SD repeated param", '<13>1 - h a - - [origin ip="192.0.2.1" ip="192.0.2.2"]', null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", structuredData: { origin: { ip: ["192.0.2.1", "192.0.2.2"] } } }],
  ["5424 SD same param in two elements", '<13>1 - h a - - [a@1 k="1"][b@1 k="2"] m', null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", structuredData: { "a@1": { k: "1" }, "b@1": { k: "2" } }, message: "m" }],
  ["5424 SD element without params", "<13>1 - h a - - [origin] m", null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", structuredData: { origin: {} }, message: "m" }],
  ["5424 SD three elements", '<13>1 - h a - - [a x="1"][b y="2"][c z="3"]', null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", structuredData: { a: { x: "1" }, b: { y: "2" }, c: { z: "3" } } }],
  ["5424 MSG that starts with [ after NIL SD", "<13>1 - h a - - - [not sd] text", null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "[not sd] text" }],
  ["5424 IPv6 hostname", "<13>1 2026-11-25T12:00:00Z 2001:db8:85a3::8a2e:370:7334 app - - - v6", "2026-11-25T12:00:00.000Z", { facility: U, severity: N, version: 1, hostname: "2001:db8:85a3::8a2e:370:7334", appName: "app", message: "v6" }],
  ["5424 app with slash", "<22>1 2026-11-25T12:00:00Z mx1 postfix/smtpd 3131 - - connect from unknown[198.51.100.77]", "2026-11-25T12:00:00.000Z",
    { facility: "mail", severity: "info", version: 1, hostname: "mx1", appName: "postfix/smtpd", procId: "3131", message: "connect from unknown[198.51.100.77]" }],
  ["5424 header only, no SD (lenient)", "<13>1 2026-11-25T12:00:00Z", "2026-11-25T12:00:00.000Z", { facility: U, severity: N, version: 1 }],
  ["5424 SD missing, MSG follows MSGID (lenient)", "<13>1 - host app - ID47 hello there", null, { facility: U, severity: N, version: 1, hostname: "host", appName: "app", msgId: "ID47", message: "hello there" }],
  ["util-linux logger --rfc5424 --sd-id", '<13>1 2026-11-25T12:56:42.533159+00:00 vm root - - [timeQuality tzKnown="1" isSynced="0"][zoo@123 tiger="hungry"] hi', "2026-11-25T12:56:42.533Z",
    { facility: U, severity: N, version: 1, hostname: "vm", appName: "root", structuredData: { timeQuality: { tzKnown: "1", isSynced: "0" }, "zoo@123": { tiger: "hungry" } }, message: "hi" }],
  ["Juniper Junos structured", '<165>1 2007-02-15T09:17:15.719Z router1 mgd 3046 UI_DBASE_LOGOUT_EVENT [junos@2636.1.1.1.2.18 username="regress"] User \'regress\' exiting configuration mode', "2007-02-15T09:17:15.719Z",
    { facility: "local4", severity: N, version: 1, hostname: "router1", appName: "mgd", procId: "3046", msgId: "UI_DBASE_LOGOUT_EVENT", structuredData: { "junos@2636.1.1.1.2.18": { username: "regress" } }, message: "User 'regress' exiting configuration mode" }],
  ["Juniper SRX RT_FLOW", '<14>1 2019-03-15T12:54:09.123+01:00 srx-fw RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.129 source-address="10.0.0.1" source-port="51234" destination-address="8.8.8.8" destination-port="53"] session created 10.0.0.1/51234->8.8.8.8/53', "2019-03-15T11:54:09.123Z",
    { facility: U, severity: "info", version: 1, hostname: "srx-fw", appName: "RT_FLOW", msgId: "RT_FLOW_SESSION_CREATE", structuredData: { "junos@2636.1.1.1.2.129": { "source-address": "10.0.0.1", "source-port": "51234", "destination-address": "8.8.8.8", "destination-port": "53" } }, message: "session created 10.0.0.1/51234->8.8.8.8/53" }],
  ["Docker syslog driver rfc5424", '<30>1 2026-11-25T11:59:58Z docker-host 7f3c2a1b9d0e 4242 7f3c2a1b9d0e - {"level":"info","msg":"ready"}', "2026-11-25T11:59:58.000Z",
    { facility: "daemon", severity: "info", version: 1, hostname: "docker-host", appName: "7f3c2a1b9d0e", procId: "4242", msgId: "7f3c2a1b9d0e", message: '{"level":"info","msg":"ready"}' }],
  ["rsyslog imuxsock-style origin SD", '<46>1 2026-11-25T11:00:00.000000+00:00 host rsyslogd - - [origin software="rsyslogd" swVersion="8.2302.0" x-pid="77" x-info="https://www.rsyslog.com"] start', "2026-11-25T11:00:00.000Z",
    { facility: "syslog", severity: "info", version: 1, hostname: "host", appName: "rsyslogd", structuredData: { origin: { software: "rsyslogd", swVersion: "8.2302.0", "x-pid": "77", "x-info": "https://www.rsyslog.com" } }, message: "start" }],
  ["Kubernetes audit-ish JSON MSG with BOM", `<110>1 2026-11-25T11:00:00Z k8s-node-1 kube-apiserver 1 AUDIT - ${BOM}{"verb":"get"}`, "2026-11-25T11:00:00.000Z",
    { facility: "security", severity: "info", version: 1, hostname: "k8s-node-1", appName: "kube-apiserver", procId: "1", msgId: "AUDIT", message: '{"verb":"get"}' }],
  ["NTP facility", "<99>1 - ntp1 chronyd - - - Selected source 192.0.2.123", null, { facility: "ntp", severity: "err", version: 1, hostname: "ntp1", appName: "chronyd", message: "Selected source 192.0.2.123" }],
  ["solaris-cron facility", "<122>1 - sol cron - - - job done", null, { facility: "solaris-cron", severity: "crit", version: 1, hostname: "sol", appName: "cron", message: "job done" }],
  ["console facility", "<112>1 - h a - - - c", null, { facility: "console", severity: "emerg", version: 1, hostname: "h", appName: "a", message: "c" }],
  ["authpriv facility", "<86>1 - h sshd - - - pam", null, { facility: "authpriv", severity: "info", version: 1, hostname: "h", appName: "sshd", message: "pam" }],
  ["ftp facility", "<91>1 - h vsftpd - - - x", null, { facility: "ftp", severity: "err", version: 1, hostname: "h", appName: "vsftpd", message: "x" }],
  ["lpr, news, uucp", "<54>1 - h lpd - - - p", null, { facility: "lpr", severity: "info", version: 1, hostname: "h", appName: "lpd", message: "p" }],
  ["uucp", "<64>1 - h uucico - - - u", null, { facility: "uucp", severity: "emerg", version: 1, hostname: "h", appName: "uucico", message: "u" }],

  // ---- RFC 3164 examples ----
  ["3164 ex1", "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", "2026-10-11T22:14:15.000Z",
    { facility: "auth", severity: "crit", hostname: "mymachine", appName: "su", message: "'su root' failed for lonvick on /dev/pts/8" }],
  ["3164 ex2 (no tag)", "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!", "2026-02-05T17:32:18.000Z", { facility: U, severity: N, hostname: "10.0.0.99", message: "Use the BFG!" }],
  ["3164 ex4 (PRI, no header)", "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!", null,
    { facility: "kern", severity: "emerg", message: "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!" }],
  ["util-linux logger --rfc3164", "<13>Nov 25 12:46:39 vm root: hello", "2026-11-25T12:46:39.000Z", { facility: U, severity: N, hostname: "vm", appName: "root", message: "hello" }],

  // ---- RFC 3164 as Linux daemons send it ----
  ["sshd", "<38>Nov 25 11:02:03 bastion sshd[28111]: Accepted publickey for deploy from 203.0.113.9 port 52110 ssh2: ED25519 SHA256:abc", "2026-11-25T11:02:03.000Z",
    { facility: "auth", severity: "info", hostname: "bastion", appName: "sshd", procId: "28111", message: "Accepted publickey for deploy from 203.0.113.9 port 52110 ssh2: ED25519 SHA256:abc" }],
  ["cron", "<78>Nov 25 11:00:01 web01 CRON[4242]: (root) CMD (run-parts /etc/cron.hourly)", "2026-11-25T11:00:01.000Z",
    { facility: "cron", severity: "info", hostname: "web01", appName: "CRON", procId: "4242", message: "(root) CMD (run-parts /etc/cron.hourly)" }],
  ["kernel", "<4>Nov 25 10:59:59 fw01 kernel: [12345.678901] IN=eth0 OUT= SRC=198.51.100.23 DST=192.0.2.1", "2026-11-25T10:59:59.000Z",
    { facility: "kern", severity: "warning", hostname: "fw01", appName: "kernel", message: "[12345.678901] IN=eth0 OUT= SRC=198.51.100.23 DST=192.0.2.1" }],
  ["postfix", "<22>Nov 25 11:15:00 mx1 postfix/smtpd[3131]: connect from unknown[198.51.100.77]", "2026-11-25T11:15:00.000Z",
    { facility: "mail", severity: "info", hostname: "mx1", appName: "postfix/smtpd", procId: "3131", message: "connect from unknown[198.51.100.77]" }],
  ["postfix long tag", "<22>Nov 25 11:15:00 mx1 postfix/submission/smtpd[77]: disconnect", "2026-11-25T11:15:00.000Z",
    { facility: "mail", severity: "info", hostname: "mx1", appName: "postfix/submission/smtpd", procId: "77", message: "disconnect" }],
  ["systemd", "<30>Nov 25 11:58:00 host systemd[1]: Started Daily apt upgrade and clean activities.", "2026-11-25T11:58:00.000Z",
    { facility: "daemon", severity: "info", hostname: "host", appName: "systemd", procId: "1", message: "Started Daily apt upgrade and clean activities." }],
  ["sudo (spaces after tag: only one removed)", "<85>Nov 25 11:59:00 host sudo:     alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update", "2026-11-25T11:59:00.000Z",
    { facility: "authpriv", severity: N, hostname: "host", appName: "sudo", message: "    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update" }],
  ["nginx", '<190>Nov 25 12:00:00 web01 nginx: 192.0.2.5 - - [25/Nov/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.5.0"', "2026-11-25T12:00:00.000Z",
    { facility: "local7", severity: "info", hostname: "web01", appName: "nginx", message: '192.0.2.5 - - [25/Nov/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.5.0"' }],
  ["haproxy (no hostname)", '<134>Nov 25 12:00:00 haproxy[2222]: 192.0.2.5:51000 [25/Nov/2026:12:00:00.123] fe be/srv1 0/0/1/2/3 200 512 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"', "2026-11-25T12:00:00.000Z",
    { facility: "local0", severity: "info", appName: "haproxy", procId: "2222", message: '192.0.2.5:51000 [25/Nov/2026:12:00:00.123] fe be/srv1 0/0/1/2/3 200 512 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"' }],
  ["dnsmasq", "<30>Nov 25 12:00:00 router dnsmasq-dhcp[999]: DHCPACK(br0) 192.168.1.50 aa:bb:cc:dd:ee:ff laptop", "2026-11-25T12:00:00.000Z",
    { facility: "daemon", severity: "info", hostname: "router", appName: "dnsmasq-dhcp", procId: "999", message: "DHCPACK(br0) 192.168.1.50 aa:bb:cc:dd:ee:ff laptop" }],
  ["pfSense filterlog (no hostname)", "<134>Nov 25 11:20:00 filterlog[12345]: 5,,,1000000103,igb0,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,198.51.100.5,192.0.2.10,51515,443,0,S", "2026-11-25T11:20:00.000Z",
    { facility: "local0", severity: "info", appName: "filterlog", procId: "12345", message: "5,,,1000000103,igb0,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,198.51.100.5,192.0.2.10,51515,443,0,S" }],
  ["macOS launchd (tag[pid] without colon)", "<13>Nov 25 11:57:00 MacBook-Pro.local com.apple.xpc.launchd[1] (com.apple.mdworker[12345]): Service exited due to SIGKILL", "2026-11-25T11:57:00.000Z",
    { facility: U, severity: N, hostname: "MacBook-Pro.local", appName: "com.apple.xpc.launchd", procId: "1", message: "(com.apple.mdworker[12345]): Service exited due to SIGKILL" }],
  ["uppercase tag is not a zone", "<13>Nov 25 11:00:00 CRON: job", "2026-11-25T11:00:00.000Z", { facility: U, severity: N, appName: "CRON", message: "job" }],
  ["ntpd", "<29>Nov 25 11:00:00 time1 ntpd[1234]: kernel reports TIME_ERROR: 0x41: Clock Unsynchronized", "2026-11-25T11:00:00.000Z",
    { facility: "daemon", severity: N, hostname: "time1", appName: "ntpd", procId: "1234", message: "kernel reports TIME_ERROR: 0x41: Clock Unsynchronized" }],
  ["tag with empty message", "<13>Nov 25 11:00:00 host app:", "2026-11-25T11:00:00.000Z", { facility: U, severity: N, hostname: "host", appName: "app" }],
  ["tag[pid] with no message", "<13>Nov 25 11:00:00 host app[9]", "2026-11-25T11:00:00.000Z", { facility: U, severity: N, hostname: "host", appName: "app", procId: "9" }],
  ["tag glued to message is message", "<13>Nov 25 11:00:00 host app:msg", "2026-11-25T11:00:00.000Z", { facility: U, severity: N, hostname: "host", message: "app:msg" }],
  ["hostname only", "<13>Nov 25 11:00:00 host", "2026-11-25T11:00:00.000Z", { facility: U, severity: N, hostname: "host" }],
  ["stamp only", "<13>Nov 25 11:00:00", "2026-11-25T11:00:00.000Z", { facility: U, severity: N }],
  ["stamp and trailing space", "<13>Nov 25 11:00:00 ", "2026-11-25T11:00:00.000Z", { facility: U, severity: N }],
  ["BOM in 3164 message", `<13>Nov 25 11:00:00 host app: ${BOM}hello`, "2026-11-25T11:00:00.000Z", { facility: U, severity: N, hostname: "host", appName: "app", message: "hello" }],
  ["3164 CRLF", "<13>Nov 25 11:00:00 host app: m\r\n", "2026-11-25T11:00:00.000Z", { facility: U, severity: N, hostname: "host", appName: "app", message: "m" }],
  ["previous year (more than a day ahead)", "<13>Dec 31 23:59:59 host app: last year", "2025-12-31T23:59:59.000Z", { facility: U, severity: N, hostname: "host", appName: "app", message: "last year" }],
  ["single-digit day without padding", "<13>Nov 5 11:00:00 host app: m", "2026-11-05T11:00:00.000Z", { facility: U, severity: N, hostname: "host", appName: "app", message: "m" }],
  ["zero-padded day", "<13>Nov 05 11:00:00 host app: m", "2026-11-05T11:00:00.000Z", { facility: U, severity: N, hostname: "host", appName: "app", message: "m" }],
  ["milliseconds", "<13>Nov 25 10:00:00.987 host app: m", "2026-11-25T10:00:00.987Z", { facility: U, severity: N, hostname: "host", appName: "app", message: "m" }],
  ["year in BSD stamp", "<13>Nov 25 2025 10:00:00 host app: m", "2025-11-25T10:00:00.000Z", { facility: U, severity: N, hostname: "host", appName: "app", message: "m" }],
  ["FQDN with underscore", "<13>Nov 25 10:00:00 db_01.prod.example.com postgres[55]: checkpoint", "2026-11-25T10:00:00.000Z",
    { facility: U, severity: N, hostname: "db_01.prod.example.com", appName: "postgres", procId: "55", message: "checkpoint" }],
  ["syslog-ng chained hostname", "<13>Nov 25 10:00:00 relay1/host2 app: m", "2026-11-25T10:00:00.000Z", { facility: U, severity: N, hostname: "relay1/host2", appName: "app", message: "m" }],
  ["IPv6 hostname", "<13>Nov 25 10:00:00 2001:db8::7 sshd[1]: ok", "2026-11-25T10:00:00.000Z", { facility: U, severity: N, hostname: "2001:db8::7", appName: "sshd", procId: "1", message: "ok" }],
  ["IPv6 loopback hostname", "<13>Nov 25 10:00:00 ::1 app: m", "2026-11-25T10:00:00.000Z", { facility: U, severity: N, hostname: "::1", appName: "app", message: "m" }],
  ["bracketed IPv6 hostname", "<13>Nov 25 10:00:00 [2001:db8::1] app: m", "2026-11-25T10:00:00.000Z", { facility: U, severity: N, hostname: "[2001:db8::1]", appName: "app", message: "m" }],

  // ---- ISO stamps instead of BSD ones ----
  ["rsyslog RSYSLOG_ForwardFormat", "<13>2026-11-25T11:00:00.123456+01:00 host app[7]: msg", "2026-11-25T10:00:00.123Z", { facility: U, severity: N, hostname: "host", appName: "app", procId: "7", message: "msg" }],
  ["VMware ESXi", "<166>2026-11-25T11:56:00.123Z esx01.example.com Hostd: verbose hostd[2099D2B70] [Originator@6876 sub=Default] Accepted password for user root from 192.0.2.5", "2026-11-25T11:56:00.123Z",
    { facility: "local4", severity: "info", hostname: "esx01.example.com", appName: "Hostd", message: "verbose hostd[2099D2B70] [Originator@6876 sub=Default] Accepted password for user root from 192.0.2.5" }],
  ["ISO stamp without offset (timezone option)", "<13>2026-11-25T11:00:00 host app: m", "2026-11-25T11:00:00.000Z", { facility: U, severity: N, hostname: "host", appName: "app", message: "m" }],

  // ---- no PRI ----
  ["no PRI, BSD stamp (log file line)", "Nov 25 11:00:00 host sshd[9]: Accepted", "2026-11-25T11:00:00.000Z", { hostname: "host", appName: "sshd", procId: "9", message: "Accepted" }],
  ["no PRI, ISO stamp", "2026-11-25T11:00:00.123456+00:00 host kernel: eth0: link up", "2026-11-25T11:00:00.123Z", { hostname: "host", appName: "kernel", message: "eth0: link up" }],

  // ---- network gear and appliances ----
  ["Cisco IOS seq and * mark", "<189>36: *Mar  1 00:12:45.123: %SYS-5-CONFIG_I: Configured from console by console", "2026-03-01T00:12:45.123Z",
    { facility: "local7", severity: N, appName: "%SYS-5-CONFIG_I", message: "Configured from console by console" }],
  ["Cisco IOS seq and UTC", "<189>1234: Mar  1 18:46:11.123 UTC: %LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet0/1, changed state to up", "2026-03-01T18:46:11.123Z",
    { facility: "local7", severity: N, appName: "%LINEPROTO-5-UPDOWN", message: "Line protocol on Interface GigabitEthernet0/1, changed state to up" }],
  ["Cisco IOS show-timezone CET", "<189>77: Mar  1 18:46:11.123 CET: %LINK-3-UPDOWN: Interface Gi0/2, changed state to down", "2026-03-01T18:46:11.123Z",
    { facility: "local7", severity: N, appName: "%LINK-3-UPDOWN", message: "Interface Gi0/2, changed state to down" }],
  ["Cisco IOS . mark", "<189>12: .Nov 25 10:00:00.000 UTC: %SYS-5-RESTART: System restarted", "2026-11-25T10:00:00.000Z", { facility: "local7", severity: N, appName: "%SYS-5-RESTART", message: "System restarted" }],
  ["Cisco relayed with hostname and seq", "<190>Nov 25 11:30:00 core-sw1 245: Nov 25 11:30:00.511 UTC: %SEC-6-IPACCESSLOGP: list 101 denied tcp", "2026-11-25T11:30:00.000Z",
    { facility: "local7", severity: "info", hostname: "core-sw1", appName: "245", message: "Nov 25 11:30:00.511 UTC: %SEC-6-IPACCESSLOGP: list 101 denied tcp" }],
  ["Cisco ASA with year", "<166>Nov 25 2026 11:40:00: %ASA-6-302013: Built outbound TCP connection 123 for outside:198.51.100.1/443 (198.51.100.1/443) to inside:192.0.2.5/51000 (203.0.113.5/51000)", "2026-11-25T11:40:00.000Z",
    { facility: "local4", severity: "info", appName: "%ASA-6-302013", message: "Built outbound TCP connection 123 for outside:198.51.100.1/443 (198.51.100.1/443) to inside:192.0.2.5/51000 (203.0.113.5/51000)" }],
  ["Cisco ASA device-id ' : '", "<166>Nov 25 2026 11:40:00 asa01 : %ASA-6-302014: Teardown TCP connection 123", "2026-11-25T11:40:00.000Z",
    { facility: "local4", severity: "info", hostname: "asa01", appName: "%ASA-6-302014", message: "Teardown TCP connection 123" }],
  ["Cisco FWSM (rsyslog's malformed examples)", '<164>May 21 2008 10:50:11: %FWSM-4-106023: Deny udp src outside:123.123.123.123/1985 dst inside:224.0.0.2/1985 by access-group "outside_access_in" [0x0, 0x0]', "2008-05-21T10:50:11.000Z",
    { facility: "local4", severity: "warning", appName: "%FWSM-4-106023", message: 'Deny udp src outside:123.123.123.123/1985 dst inside:224.0.0.2/1985 by access-group "outside_access_in" [0x0, 0x0]' }],
  ["Cisco PIX", "<167>Mar  6 16:57:54 172.20.245.8 %PIX-7-710005: UDP request discarded from 172.20.245.1/161 to outside:172.20.245.8/161", "2026-03-06T16:57:54.000Z",
    { facility: "local4", severity: "debug", hostname: "172.20.245.8", appName: "%PIX-7-710005", message: "UDP request discarded from 172.20.245.1/161 to outside:172.20.245.8/161" }],
  ["rsyslog malformed: PRI then text", "<130> [ERROR] iapp_socket_task.c 399: iappSocketTask: iappRecvPkt returned error", null,
    { facility: "local0", severity: "crit", message: " [ERROR] iapp_socket_task.c 399: iappSocketTask: iappRecvPkt returned error" }],
  ["Juniper RT_IDS (3164)", "<28>Nov 25 11:45:00 srx01 RT_IDS: RT_SCREEN_TCP: TCP port scan! source: 198.51.100.3:44000, destination: 192.0.2.1:22", "2026-11-25T11:45:00.000Z",
    { facility: "daemon", severity: "warning", hostname: "srx01", appName: "RT_IDS", message: "RT_SCREEN_TCP: TCP port scan! source: 198.51.100.3:44000, destination: 192.0.2.1:22" }],
  ["MikroTik topics (no tag)", "<30>Nov 25 11:50:00 MikroTik firewall,info input: in:ether1 out:(unknown 0), proto TCP (SYN), 198.51.100.8:55555->192.0.2.1:8291, len 60", "2026-11-25T11:50:00.000Z",
    { facility: "daemon", severity: "info", hostname: "MikroTik", message: "firewall,info input: in:ether1 out:(unknown 0), proto TCP (SYN), 198.51.100.8:55555->192.0.2.1:8291, len 60" }],
  ["Ubiquiti UniFi AP", "<30>Nov 25 11:51:00 U7PG2,f09fc2aabbcc,v4.3.28.11361 hostapd: ath1: STA 11:22:33:44:55:66 IEEE 802.11: associated", "2026-11-25T11:51:00.000Z",
    { facility: "daemon", severity: "info", hostname: "U7PG2,f09fc2aabbcc,v4.3.28.11361", appName: "hostapd", message: "ath1: STA 11:22:33:44:55:66 IEEE 802.11: associated" }],
  ["HP ProCurve", "<14>Nov 25 11:52:00 192.0.2.20 00076 ports: port 5 is now on-line", "2026-11-25T11:52:00.000Z",
    { facility: U, severity: "info", hostname: "192.0.2.20", message: "00076 ports: port 5 is now on-line" }],
  ["FortiGate key=value (PRI, no header)", '<189>date=2026-11-25 time=11:53:00 devname="FGT60F" logid="0000000013" type="traffic" srcip=192.0.2.5 action="accept"', null,
    { facility: "local7", severity: N, message: 'date=2026-11-25 time=11:53:00 devname="FGT60F" logid="0000000013" type="traffic" srcip=192.0.2.5 action="accept"' }],
  ["Palo Alto CSV", "<14>Nov 25 11:54:00 PA-VM 1,2026/11/25 11:54:00,015351000012345,TRAFFIC,end,2561", "2026-11-25T11:54:00.000Z",
    { facility: U, severity: "info", hostname: "PA-VM", message: "1,2026/11/25 11:54:00,015351000012345,TRAFFIC,end,2561" }],
  ["Windows via NXLog/Snare (tabs)", "<14>Nov 25 11:55:00 WIN-DC01 MSWinEventLog\t1\tSecurity\t123\tWed Nov 25 11:55:00 2026\t4624", "2026-11-25T11:55:00.000Z",
    { facility: U, severity: "info", hostname: "WIN-DC01", message: "MSWinEventLog\t1\tSecurity\t123\tWed Nov 25 11:55:00 2026\t4624" }],
  ["Synology / BusyBox (no hostname)", "<14>Nov 25 11:56:00 syslogd: restart", "2026-11-25T11:56:00.000Z", { facility: U, severity: "info", appName: "syslogd", message: "restart" }],
  ["CEF over syslog", "<134>Nov 25 11:57:00 sensor CEF:0|Vendor|Product|1.0|100|Port scan|5|src=198.51.100.3 dst=192.0.2.1", "2026-11-25T11:57:00.000Z",
    { facility: "local0", severity: "info", hostname: "sensor", message: "CEF:0|Vendor|Product|1.0|100|Port scan|5|src=198.51.100.3 dst=192.0.2.1" }],
  ["tag[pid]: without a space before the message", "<13>Nov 25 10:00:00 host root[8539]:syslog message", "2026-11-25T10:00:00.000Z",
    { facility: U, severity: N, hostname: "host", appName: "root", procId: "8539", message: "syslog message" }],
  ["OpenBSD pf via syslogd (no hostname, pid)", "<134>Nov 25 11:58:00 pflogd[321]: [priv]: msg", "2026-11-25T11:58:00.000Z", { facility: "local0", severity: "info", appName: "pflogd", procId: "321", message: "[priv]: msg" }],
  ["PRI only", "<13>", null, { facility: U, severity: N }],
  ["PRI, space, text", "<13> hello", null, { facility: U, severity: N, message: " hello" }],
  ["PRI, digits and a word (not 5424)", "<13>1 apple", null, { facility: U, severity: N, message: "1 apple" }],
];

const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));

const binary: Row[] = [
  ["non-UTF-8 bytes in a 5424 MSG", bytes("<13>1 - h a - - - caf", [0xe9, 0x20, 0xff]), null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "caf\uFFFD \uFFFD" }],
  ["Latin-1 hostname in 3164", bytes("<13>Nov 25 10:00:00 m", [0xfc], "nchen app: m"), "2026-11-25T10:00:00.000Z", { facility: U, severity: N, hostname: "m\uFFFDnchen", appName: "app", message: "m" }],
  ["UTF-8 message after a BOM and a Latin-1 byte", bytes("<13>1 - h a - - - ", [0xef, 0xbb, 0xbf], "ok ", [0x80]), null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "ok \uFFFD" }],
  ["truncated UTF-8 sequence at the end", bytes("<13>1 - h a - - - euro ", [0xe2, 0x82]), null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "euro \uFFFD" }],
  ["NUL byte in message", bytes("<13>1 - h a - - - a", [0], "b"), null, { facility: U, severity: N, version: 1, hostname: "h", appName: "a", message: "a\u0000b" }],
];

const unparsable: Bad[] = [
  ["plain text", "hello world", /neither PRI nor timestamp/],
  ["empty", "", /empty message/],
  ["only whitespace", "   ", /neither PRI nor timestamp/],
  ["JSON line", '{"level":"info","msg":"x"}', /neither PRI nor timestamp/],
  ["month word, no stamp", "Nov is cold", /neither PRI nor timestamp/],
  ["PRI over 191", "<192>1 - - - - - -", /PRI: 192 is over 191/],
  ["PRI of 4 digits", "<1000>hello", /PRI/],
  ["empty PRI", "<>hello", /PRI/],
  ["PRI not closed", "<13 hello", /PRI/],
  ["PRI with letters", "<ab>hello", /PRI/],
  // RFC 5424 6.2.1: PRIVAL has no leading zeros.
  ["5424 PRI with a leading zero", "<013>1 - - - - - - z", /PRI: "013" has a leading zero/],
  ["5424 PRI 01", "<01>1 - - - - - -", /PRI: "01" has a leading zero/],
  ["5424 PRI 00", "<00>1 - - - - - -", /PRI: "00" has a leading zero/],
  ["3164 PRI with a leading zero", "<013>Nov 25 10:00:00 host app: m", /PRI: "013" has a leading zero/],
  ["5424 broken SD (no closing ])", '<13>1 - h a - - [x@1 a="1" m', /STRUCTURED-DATA/],
  ["5424 broken SD (unquoted value)", "<13>1 - h a - - [x@1 a=1] m", /'"' expected/],
  ["5424 leap second", "<13>1 1990-12-31T23:59:60Z h a - - - m", /out of range/],
  ["5424 month 13", "<13>1 2026-13-01T00:00:00Z h a - - - m", /out of range/],
  ["5424 garbage after TIMESTAMP", "<13>1 2026-11-25T12:00:00Zjunk h a - - - m", /TIMESTAMP ends in/],
];

describe("real-world syslog corpus", () => {
  it("has over 100 messages", () => {
    expect(messages.length + binary.length + unparsable.length).toBeGreaterThan(100);
  });

  it.each([...messages, ...binary])("%s", (_name, input, createdAt, data) => {
    const e = parseSyslog(Buffer.isBuffer(input) ? input : Buffer.from(input), ctx);
    const expected: Record<string, unknown> = { type: "syslog.message", data: { ...data, remoteIp: "192.0.2.7" } };
    if (createdAt !== null) expected.createdAt = createdAt;
    expect(e).toEqual(expected);
  });

  it.each(unparsable)("unparsed: %s", (_name, input, error) => {
    const e = parseSyslog(Buffer.from(input), ctx);
    expect(e).toEqual({ type: "syslog.unparsed", data: { message: input, parseError: expect.stringMatching(error), remoteIp: "192.0.2.7" } });
  });
});
