package org.safenet.dns.admin.blockpage;

import org.jspecify.annotations.Nullable;

/** The warning page and the appeal receipt, in Vietnamese and English. Everything echoed is escaped. */
final class BlockPage {
    private BlockPage() {}

    /** HTML escaping of the five characters that matter in text and attribute values. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static final String STYLE = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;background:#f6f7f9;color:#1d2530;margin:0}
            main{max-width:40rem;margin:3rem auto;background:#fff;border-radius:.5rem;padding:2rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}
            h1{color:#b3261e;font-size:1.5rem;margin-top:0}h2{font-size:1.1rem;color:#444;margin-top:0}
            .host{font-family:monospace;background:#f1f1f1;padding:.1rem .3rem;border-radius:.2rem;word-break:break-all}
            dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{color:#666}
            textarea{width:100%;min-height:5rem;box-sizing:border-box}button{margin-top:.5rem;padding:.4rem 1rem}
            footer{color:#777;font-size:.85rem;margin-top:1.5rem}""";

    /**
     * @param host the blocked host name the browser asked for
     * @param category the list category, or null when the name is not (or no longer) listed
     * @param reference the decision reference operators can look up
     */
    static String warning(String host, @Nullable String category, String reference) {
        String h = escape(host);
        String c = category == null ? "không xác định / unknown" : escape(category);
        return """
                <!DOCTYPE html>
                <html lang="vi"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width,initial-scale=1">
                <title>Trang web đã bị chặn / Site blocked</title><style>%s</style></head>
                <body><main>
                <h1>Trang web này đã bị chặn để bảo vệ bạn</h1>
                <h2>This site was blocked to protect you</h2>
                <p>Địa chỉ <span class="host">%s</span> nằm trong danh sách các trang lừa đảo, độc hại hoặc vi phạm pháp luật.</p>
                <p>The address <span class="host">%s</span> is on a list of scam, malicious or illegal sites.</p>
                <dl><dt>Danh mục / Category</dt><dd>%s</dd><dt>Mã tham chiếu / Reference</dt><dd><code>%s</code></dd></dl>
                <h2>Chặn nhầm? / Blocked by mistake?</h2>
                <form method="post" action="/appeal">
                <input type="hidden" name="host" value="%s">
                <label for="reason">Cho chúng tôi biết lý do / Tell us why:</label>
                <textarea id="reason" name="reason" maxlength="2000" required></textarea>
                <button type="submit">Gửi / Send</button>
                </form>
                <footer>SafeNet DNS</footer>
                </main></body></html>
                """.formatted(STYLE, h, h, c, escape(reference), h);
    }

    static String receipt(String host) {
        String h = escape(host);
        return """
                <!DOCTYPE html>
                <html lang="vi"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width,initial-scale=1">
                <title>Đã nhận / Received</title><style>%s</style></head>
                <body><main>
                <h1 style="color:#1d6b2f">Cảm ơn bạn / Thank you</h1>
                <p>Yêu cầu xem xét <span class="host">%s</span> đã được gửi tới quản trị viên.</p>
                <p>Your request to review <span class="host">%s</span> was sent to the operators.</p>
                </main></body></html>
                """.formatted(STYLE, h, h);
    }

    /** A page that says why an appeal was not taken, in both languages; the texts are ours, the host is escaped. */
    static String notTaken(String host, String vietnamese, String english) {
        String h = escape(host);
        return """
                <!DOCTYPE html>
                <html lang="vi"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width,initial-scale=1">
                <title>Chưa gửi được / Not sent</title><style>%s</style></head>
                <body><main>
                <h1>Chưa gửi được yêu cầu / The request was not sent</h1>
                <p><span class="host">%s</span>: %s</p>
                <p><span class="host">%s</span>: %s</p>
                </main></body></html>
                """.formatted(STYLE, h, vietnamese, h, english);
    }
}
