package org.safenet.dns.resolver.policy;

/**
 * What a policy decision does to a query, with RPZ's names for them (BIND ARM, "Response Policy
 * Zone"; Unbound {@code services/rpz.h}). The wire form each produces:
 *
 * <pre>
 *   SINKHOLE  A/AAAA of the block page; other types get NODATA      rpz: local data A/AAAA
 *   NXDOMAIN  rcode 3 with a synthesised SOA                         rpz: CNAME .
 *   NODATA    rcode 0, no answer, a synthesised SOA                  rpz: CNAME *.
 *   REFUSED   rcode 5                                                (no RPZ equivalent)
 *   DROP      no answer at all                                       rpz: CNAME rpz-drop.
 *   PASSTHRU  resolve normally; an exception that beats later blocks rpz: CNAME rpz-passthru.
 *   CNAME     one CNAME to the verdict's target                      rpz: CNAME target.
 *   TCP_ONLY  over UDP an empty TC answer (retry over TCP); over TCP
 *             resolve normally: forces spoof-resistant transport      rpz: CNAME rpz-tcp-only.
 * </pre>
 *
 * <p>SINKHOLE answers with the verdict's own addresses when it has some (RPZ local data A/AAAA
 * records), else with the configured block page's.
 */
public enum PolicyAction {
    SINKHOLE,
    NXDOMAIN,
    NODATA,
    REFUSED,
    DROP,
    PASSTHRU,
    CNAME,
    TCP_ONLY
}
