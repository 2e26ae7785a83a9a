vcl 4.1;
# The shared cache in front of gunicorn (docker-compose.yml's `cache`, bench/run, and
# tests/cache/test_varnish.py run this file). It answers anonymous reads from memory and
# stores only what the site marked `public` (apps/core/cacheheaders.py). A stored page is
# fresh for 0.5 s counted from when its fetch began, then served stale for at most 0.45 s
# while one request fetches the new copy in the background: nothing delivered is older than
# 0.95 s, so an approval, edit or retraction is on every page, feed and API answer within a
# second. Readers wait only when a page takes longer than 0.45 s to render; one that takes
# longer than 0.5 s is kept only for what is left of the 0.95 s.
import std;

backend default {
    .host = "web";
    .port = "8000";
    .first_byte_timeout = 60s;
}

sub vcl_recv {
    # Reads only, and only from people who do not say who they are: a session cookie, a CSRF
    # cookie or a token always goes to the site.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization || req.http.Cookie) {
        return (pass);
    }
    return (hash);
}

sub vcl_hash {
    # Plain-HTTP and HTTPS requests get different answers (the redirect to HTTPS), and the
    # TLS proxy says which one this is. The built-in hash (URL and Host) follows.
    hash_data(req.http.X-Forwarded-Proto);
}

sub vcl_backend_fetch {
    set bereq.http.X-Cache-Fetch-Start = std.time2real(now, 0.0);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "(?i)(^|,)\s*public\s*(,|$)"
        || beresp.http.Cache-Control ~ "(?i)private|no-store|no-cache"
        || beresp.http.Vary == "*") {
        # Never stored. The short marker sends the next requests straight to the site
        # instead of queueing them behind one another; a public answer replaces it.
        set beresp.ttl = 10s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    if (beresp.http.Cache-Control ~ "(?i)s-maxage") {
        set beresp.http.X-Cache-Fetch-Start = bereq.http.X-Cache-Fetch-Start;
        # Catalogue content (static files keep their own lifetime).
        set beresp.ttl = 0.5s - (now - std.real2time(
            std.real(bereq.http.X-Cache-Fetch-Start, 0.0), now));
        set beresp.grace = 0.45s;
        set beresp.keep = 0s;
        if (beresp.ttl <= 0s) {
            # A fetch that took over 0.5 s: fresh for what is left of 0.95 s, never stale.
            set beresp.ttl = beresp.ttl + 0.45s;
            set beresp.grace = 0s;
        }
        if (beresp.ttl <= 0s) {
            # Too slow to keep at all. No marker either: the next readers wait for one fetch
            # instead of all reaching the site at once, so a busy site can catch up.
            set beresp.ttl = 0s;
            set beresp.uncacheable = true;
        }
    }
    return (deliver);
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "pass";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "hit";
    } else {
        set resp.http.X-Cache = "miss";
    }
}
