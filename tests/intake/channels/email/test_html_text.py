"""HTML mail → text (`html_to_text`) and the HTML quote cut (`strip_html_quotes`): the rendering rules and the
awkward inputs real mail brings (deep nesting, XHTML declarations, broken markup)."""

from __future__ import annotations

import pytest

from intake.channels.email.html import html_to_text, strip_html_quotes


def test_blocks_lists_tables_and_line_breaks():
    html = (
        "<h1>Leak</h1><p>Kitchen&nbsp;&nbsp;tap,\r\n  dripping</p>"
        "<ul><li>since Monday</li><li>worse at night</li></ul><table><tr><th>Unit</th><td>4B</td></tr></table>"
        "line one<br>line two<hr>after the rule"
    )
    assert html_to_text(html) == (
        "Leak\n\nKitchen tap, dripping\n\n- since Monday\n\n- worse at night\n\nUnit 4B\n\n"
        "line one\nline two\n\nafter the rule"
    )


def test_markup_that_is_not_text_is_dropped():
    html = (
        "<html><head><title>Mail</title><style>p {color: red}</style></head><body><!-- tracking -->"
        "<script>alert(1)</script><p>Hello<o:p>&nbsp;</o:p></p><noscript>enable js</noscript>"
        '<template>hidden</template><img alt=" photo "><img alt=""></body></html>'
    )
    assert html_to_text(html) == "Hello\n\n[photo]"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<a href="https://portal.example/t/7">your ticket</a>', "your ticket (https://portal.example/t/7)"),
        ('<a href="https://portal.example/">https://portal.example</a>', "https://portal.example"),  # label shows it
        ('<a href="mailto:m@intake.example">write to us</a>', "write to us"),  # only http(s) targets are kept
        ('<a href="https://portal.example/"><img alt="logo"></a>', "[logo]"),  # no text label: no target either
    ],
)
def test_links_keep_their_target_when_the_label_does_not_show_it(html, expected):
    assert html_to_text(html) == expected


def test_blockquote_lines_are_prefixed_and_nested_quotes_stack():
    html = "<p>Thanks</p><blockquote><p>Is it fixed?</p>second line<br>third<blockquote>older</blockquote></blockquote>"
    assert html_to_text(html) == "Thanks\n\n> Is it fixed?\n>\n> second line\n> third\n> > older"


def test_misnested_markup_keeps_every_word_in_order():
    html = "<p>one<b>two<i>three</b>four</i></p><div>five<p>six</div>seven</td></tr><li>eight<li>nine"
    assert html_to_text(html) == "onetwothreefour\n\nfive\nsix\n\nseven\n- eight\n\n- nine"


@pytest.mark.parametrize("html", ["", "   \n\t", "<!-- only a comment -->", "<html><body></body></html>", "&nbsp;"])
def test_empty_html_gives_empty_text_and_no_quote(html):
    assert html_to_text(html) == ""
    assert strip_html_quotes(html) is None


def test_xhtml_with_an_encoding_declaration_in_a_str():
    # lxml.etree.fromstring() refuses a str carrying an encoding declaration; the body is already decoded
    html = (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html xmlns="http://www.w3.org/1999/xhtml"><body>'
        "<p>Grüße aus Köln</p><hr /><p>Von: Hausverwaltung</p><p>Alte Nachricht</p></body></html>"
    )
    assert html_to_text(html) == "Grüße aus Köln\n\nVon: Hausverwaltung\n\nAlte Nachricht"
    assert strip_html_quotes(html) == "Grüße aus Köln"


def test_a_meta_charset_does_not_re_decode_an_already_decoded_body():
    html = '<html><head><meta charset="windows-1252"></head><body><p>Café – 20 €</p></body></html>'
    assert html_to_text(html) == "Café – 20 €"


def test_deep_nesting_keeps_all_text_and_does_not_crash():
    # lxml's own tree builder stops at depth 256 and silently drops the rest of the document
    html = "<p>Top</p>" + "<div>" * 5000 + "deep" + "</div>" * 5000 + "<p>after</p>"
    assert html_to_text(html) == "Top\n\ndeep\n\nafter"
    quoted = "<p>Top</p><blockquote>" + "<span>" * 5000 + "deep" + "</span>" * 5000 + "</blockquote>"
    assert html_to_text(quoted) == "Top\n\n> deep"
    assert strip_html_quotes(quoted) == "Top"


def test_the_attribution_line_before_a_blockquote_is_cut_with_it():
    html = (
        "<div>Fixed, thanks.</div><div>On Tue, 12 Mar 2024, Maintenance &lt;m@intake.example&gt; wrote:</div>"
        "<blockquote><p>Is it fixed?</p></blockquote><p>trailing text after the quote</p>"
    )
    assert strip_html_quotes(html) == "Fixed, thanks."


def test_a_blockquote_opening_the_body_is_not_a_quote_marker():
    pasted = "<blockquote>Pasted notice from the landlord</blockquote><p>What does it mean?</p>"
    assert strip_html_quotes(pasted) is None
    assert strip_html_quotes('<blockquote type="cite">Quoted</blockquote>') == ""


def test_rule_followed_by_a_quoted_header_starts_the_quote_even_inside_containers():
    html = (
        "<table><tr><td><a href='https://x.example/'>Reply above <b>this</b>"
        "<hr></a><p>From: Maintenance</p><p>Old text</p></td></tr></table>"
    )
    assert strip_html_quotes(html) == "Reply above this (https://x.example/)"
    assert strip_html_quotes("<p>Section one</p><hr><p>Section two</p>") is None


def test_lone_surrogates_do_not_crash():
    assert html_to_text("<p>broken \ud800 text</p>") == "broken \ufffd text"
