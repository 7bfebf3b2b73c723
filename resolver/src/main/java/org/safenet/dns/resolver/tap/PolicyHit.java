package org.safenet.dns.resolver.tap;

import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.policy.Verdict;

/**
 * Why a query was answered by policy, for dnstap's {@code Policy} message: the verdict, what
 * matched (dnstap's {@code Policy.Match}) and the matched value (the name in wire form, or the
 * address). One per event loop, reused: the pipeline fills it while it answers a query and the tap
 * reads it as the answer goes out, on the same thread.
 */
public final class PolicyHit {
    /** The query name (or, for a name reached through a CNAME chain, that name) matched. */
    public static final int QNAME = 1;
    /** The client's address matched. */
    public static final int CLIENT_IP = 2;
    /** An address in the answer matched. */
    public static final int RESPONSE_IP = 3;

    private @Nullable Verdict verdict;
    private int match;
    private final byte[] value = new byte[255];
    private int valueLength;

    public void clear() {
        verdict = null;
        match = 0;
        valueLength = 0;
    }

    /** Records a hit; {@code value} is copied (at most 255 bytes). */
    public void set(Verdict verdict, int match, byte[] value, int length) {
        this.verdict = verdict;
        this.match = match;
        this.valueLength = Math.min(length, this.value.length);
        System.arraycopy(value, 0, this.value, 0, valueLength);
    }

    /** This hit becomes a copy of {@code other}. */
    public void copyFrom(PolicyHit other) {
        this.verdict = other.verdict;
        this.match = other.match;
        this.valueLength = other.valueLength;
        System.arraycopy(other.value, 0, value, 0, valueLength);
    }

    public @Nullable Verdict verdict() {
        return verdict;
    }

    int match() {
        return match;
    }

    byte[] value() {
        return value;
    }

    int valueLength() {
        return valueLength;
    }
}
