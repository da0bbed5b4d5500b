package commsmining

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Lean mode decodes sync requests with the hand-written scanner below
// instead of encoding/json: reflection, the separate validity pass and
// copying every message body out of the request were a sixth of the demo's
// CPU. It fills the same wireComment values, so validation, digests and
// answers are those of the full mode. It covers the canonical form a
// client sends (exact field names, each at most once); anything else —
// a field name in another case or with escapes, a repeated field — falls
// back to encoding/json, whose merging rules it does not imitate. Strings
// without escapes are views into the request body, which nothing keeps
// after the request (lean mode stores digests, and comment IDs are
// copied).

// errLeanFallback asks for the encoding/json decoder.
var errLeanFallback = errors.New("lean decoder: not the canonical form")

// maxLeanDepth bounds nesting in skipped values; deeper input goes to
// encoding/json, whose own limit then applies.
const maxLeanDepth = 1000

// decodeSyncRequestLean decodes a sync body like decodeSyncRequest with
// strict unset: unknown fields are ignored, trailing data is an error.
// Strings with escapes are decoded into *arena (grown as needed), so the
// comments alias it as well as body; nil arena: a fresh one.
func decodeSyncRequestLean(body []byte, arena *[]byte) ([]wireComment, error) {
	if arena == nil {
		arena = new([]byte)
	}
	if cap(*arena) < len(body) {
		// Decoded strings are no longer than their JSON but for invalid
		// UTF-8, so one block the size of the body nearly always holds
		// them all, and is reused whole by the next request.
		*arena = make([]byte, 0, len(body)+len(body)/16)
	}
	d := leanDecoder{b: body, arena: (*arena)[:0]}
	comments, err := d.request()
	*arena = d.arena[:0]
	if err == nil {
		d.ws()
		if d.i != len(d.b) {
			err = d.syntax("data after the JSON object")
		}
	}
	if errors.Is(err, errLeanFallback) {
		return decodeSyncRequest(body, false)
	}
	if err != nil {
		return nil, fmt.Errorf("decode sync request: %w", err)
	}
	if comments == nil {
		return nil, fmt.Errorf("decode sync request: missing field comments")
	}
	return *comments, nil
}

type leanDecoder struct {
	b     []byte
	i     int
	arena []byte // decoded strings; appended to, never rewritten
	// Slabs for the pointers wireComment holds: one allocation per 256
	// strings or texts rather than one each.
	strs  []string
	texts []wireText
}

func (d *leanDecoder) newString(s string) *string {
	if len(d.strs) == cap(d.strs) {
		d.strs = make([]string, 0, 256)
	}
	d.strs = append(d.strs, s)
	return &d.strs[len(d.strs)-1]
}

func (d *leanDecoder) newText() *wireText {
	if len(d.texts) == cap(d.texts) {
		d.texts = make([]wireText, 0, 128)
	}
	d.texts = append(d.texts, wireText{})
	return &d.texts[len(d.texts)-1]
}

func (d *leanDecoder) syntax(msg string) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", d.i, msg)
}

func (d *leanDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte (0 at the end).
func (d *leanDecoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *leanDecoder) expect(c byte) error {
	if d.peek() != c {
		return d.syntax(fmt.Sprintf("want %q", c))
	}
	d.i++
	return nil
}

// null consumes a null literal if one is next.
// next reads what follows a member or element: ',' (more to come) or
// the closing byte (done).
func (d *leanDecoder) next(closing byte) (done bool, err error) {
	switch d.peek() {
	case ',':
		d.i++
		return false, nil
	case closing:
		d.i++
		return true, nil
	}
	return false, d.syntax("want ',' or '" + string(closing) + "'")
}

func (d *leanDecoder) null() (bool, error) {
	if d.peek() != 'n' {
		return false, nil
	}
	return true, d.literal("null")
}

func (d *leanDecoder) literal(lit string) error {
	if len(d.b)-d.i < len(lit) || string(d.b[d.i:d.i+len(lit)]) != lit {
		return d.syntax("invalid literal")
	}
	d.i += len(lit)
	return nil
}

// object calls field for each member of an object, after checking that the
// name is canonical and not repeated (names lists the known ones; their
// index is the bit in seen).
func (d *leanDecoder) object(names []string, field func(k int) error) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	if d.peek() == '}' {
		d.i++
		return nil
	}
	var seen uint64
	for {
		raw, escaped, err := d.rawString()
		if err != nil {
			return err
		}
		if escaped {
			return errLeanFallback
		}
		k := -1
		for j, n := range names {
			if string(raw) == n {
				k = j
				break
			}
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if k < 0 {
			// encoding/json matches names case-insensitively (with Unicode
			// folding); leave that to it rather than ignore a field it
			// would have read.
			if !utf8ASCII(raw) {
				return errLeanFallback
			}
			for _, n := range names {
				if len(n) == len(raw) && equalFoldASCII(n, raw) {
					return errLeanFallback
				}
			}
			if err := d.skip(0); err != nil {
				return err
			}
		} else {
			if seen&(1<<k) != 0 {
				return errLeanFallback
			}
			seen |= 1 << k
			if err := field(k); err != nil {
				return err
			}
		}
		if done, err := d.next('}'); done || err != nil {
			return err
		}
	}
}

func utf8ASCII(raw []byte) bool {
	for _, c := range raw {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// equalFoldASCII compares an ASCII name with ASCII bytes, ignoring case.
func equalFoldASCII(name string, raw []byte) bool {
	for i := range len(raw) {
		a, b := name[i], raw[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// array calls elem for each element of an array.
func (d *leanDecoder) array(elem func() error) error {
	if err := d.expect('['); err != nil {
		return err
	}
	if d.peek() == ']' {
		d.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if done, err := d.next(']'); done || err != nil {
			return err
		}
	}
}

// rawString scans a string and returns its bytes between the quotes, and
// whether they need decoding (escapes or invalid UTF-8).
func (d *leanDecoder) rawString() (raw []byte, escaped bool, err error) {
	if d.peek() != '"' {
		return nil, false, d.syntax("want a string")
	}
	start := d.i + 1
	ascii := true
	b := d.b
	for i := start; i < len(b); i++ {
		// Plain bytes are most of every body; skip them by table.
		for i < len(b) && !stringSpecial[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			d.i = i + 1
			raw = b[start:i]
			if !escaped && !ascii && !utf8.Valid(raw) {
				escaped = true // encoding/json replaces invalid UTF-8
			}
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			i++
			if i >= len(b) {
				break
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					d.i = i
					return nil, false, d.syntax("short \\u escape")
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						d.i = i
						return nil, false, d.syntax("invalid \\u escape")
					}
				}
				i += 4
			default:
				d.i = i
				return nil, false, d.syntax("invalid escape")
			}
		case c < 0x20:
			d.i = i
			return nil, false, d.syntax("control character in string")
		default: // c >= utf8.RuneSelf
			ascii = false
		}
	}
	d.i = len(d.b)
	return nil, false, d.syntax("unterminated string")
}

// stringSpecial marks the bytes rawString must look at: the quote, the
// backslash, control characters and non-ASCII bytes.
var stringSpecial = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// str decodes a string value. Without escapes it is a view into the body.
func (d *leanDecoder) str() (string, error) {
	raw, escaped, err := d.rawString()
	if err != nil {
		return "", err
	}
	if !escaped {
		if len(raw) == 0 {
			return "", nil
		}
		return unsafe.String(&raw[0], len(raw)), nil
	}
	if cap(d.arena)-len(d.arena) < len(raw) {
		// A new block for this and later strings; earlier strings keep
		// the old one alive. (unquote may still grow it: invalid UTF-8
		// expands, and append then copies, which start survives.)
		d.arena = make([]byte, 0, max(len(raw)+len(raw)/8, 64<<10))
	}
	start := len(d.arena)
	d.arena = unquote(d.arena, raw)
	out := d.arena[start:]
	if len(out) == 0 {
		return "", nil
	}
	return unsafe.String(&out[0], len(out)), nil
}

// unquote appends to out the bytes of a string rawString has checked,
// decoded as encoding/json does: escapes resolved, a lone or broken surrogate and
// each invalid UTF-8 byte replaced by U+FFFD.
func unquote(out, raw []byte) []byte {
	valid := utf8.Valid(raw)
	for i := 0; i < len(raw); {
		if valid {
			// Copy the run up to the next escape in one go.
			j := bytes.IndexByte(raw[i:], '\\')
			if j < 0 {
				out = append(out, raw[i:]...)
				break
			}
			out = append(out, raw[i:i+j]...)
			i += j
		}
		c := raw[i]
		switch {
		case c == '\\':
			switch e := raw[i+1]; e {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(raw[i+2:])
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						if pair := utf16.DecodeRune(r, hex4(raw[i+2:])); pair != utf8.RuneError {
							out = utf8.AppendRune(out, pair)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
				continue
			default: // '"', '\\', '/'
				out = append(out, e)
			}
			i += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, raw[i:i+n]...)
			}
			i += n
		}
	}
	return out
}

// hex4 reads four hex digits rawString has checked.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// optStr decodes a string or null into *p (null: nil).
func (d *leanDecoder) optStr(p **string) error {
	if isNull, err := d.null(); isNull || err != nil {
		*p = nil
		return err
	}
	s, err := d.str()
	if err != nil {
		return err
	}
	*p = d.newString(s)
	return nil
}

// plainStr decodes a string or null into *p (null: left as is, as
// encoding/json does for a non-pointer).
func (d *leanDecoder) plainStr(p *string) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	s, err := d.str()
	if err != nil {
		return err
	}
	*p = s
	return nil
}

func (d *leanDecoder) strList(p *[]string) error {
	if isNull, err := d.null(); isNull || err != nil {
		*p = nil
		return err
	}
	list := []string{}
	err := d.array(func() error {
		var s string
		err := d.plainStr(&s)
		list = append(list, s)
		return err
	})
	*p = list
	return err
}

// number scans a JSON number and returns its text.
func (d *leanDecoder) number() ([]byte, error) {
	d.ws()
	start, i := d.i, d.i
	digits := func() int {
		n := 0
		for i < len(d.b) && '0' <= d.b[i] && d.b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(d.b) && d.b[i] == '-' {
		i++
	}
	switch {
	case i < len(d.b) && d.b[i] == '0':
		i++
	case digits() == 0:
		return nil, d.syntax("want a value")
	}
	if i < len(d.b) && d.b[i] == '.' {
		i++
		if digits() == 0 {
			d.i = i
			return nil, d.syntax("want a digit after '.'")
		}
	}
	if i < len(d.b) && (d.b[i] == 'e' || d.b[i] == 'E') {
		i++
		if i < len(d.b) && (d.b[i] == '+' || d.b[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.i = i
			return nil, d.syntax("want a digit in the exponent")
		}
	}
	d.i = i
	return d.b[start:i], nil
}

// skip scans any value without keeping it.
func (d *leanDecoder) skip(depth int) error {
	if depth > maxLeanDepth {
		return errLeanFallback
	}
	switch d.peek() {
	case '{':
		d.i++
		if d.peek() == '}' {
			d.i++
			return nil
		}
		for {
			if _, _, err := d.rawString(); err != nil {
				return err
			}
			if err := d.expect(':'); err != nil {
				return err
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			if done, err := d.next('}'); done || err != nil {
				return err
			}
		}
	case '[':
		return d.array(func() error { return d.skip(depth + 1) })
	case '"':
		_, _, err := d.rawString()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	_, err := d.number()
	return err
}

var (
	requestFields    = []string{"comments"}
	commentFields    = []string{"id", "timestamp", "thread_id", "messages", "user_properties", "attachments"}
	messageFields    = []string{"body", "subject", "signature", "from", "to", "cc", "bcc", "sent_at", "language"}
	textFields       = []string{"text", "translated_from"}
	attachmentFields = []string{"name", "size", "content_type", "attachment_reference", "content_hash"}
)

func (d *leanDecoder) request() (*[]wireComment, error) {
	if isNull, err := d.null(); isNull || err != nil {
		return nil, err
	}
	var out *[]wireComment
	err := d.object(requestFields, func(int) error {
		if isNull, err := d.null(); isNull || err != nil {
			out = nil
			return err
		}
		list := []wireComment{}
		err := d.array(func() error {
			list = append(list, wireComment{})
			return d.comment(&list[len(list)-1])
		})
		out = &list
		return err
	})
	return out, err
}

func (d *leanDecoder) comment(c *wireComment) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	return d.object(commentFields, func(k int) error {
		switch k {
		case 0:
			err := d.optStr(&c.ID)
			if c.ID != nil {
				id := strings.Clone(*c.ID) // kept by the source: not a view
				c.ID = &id
			}
			return err
		case 1:
			return d.optStr(&c.Timestamp)
		case 2:
			return d.optStr(&c.ThreadID)
		case 3:
			if isNull, err := d.null(); isNull || err != nil {
				c.Messages = nil
				return err
			}
			c.Messages = []wireMessage{}
			return d.array(func() error {
				c.Messages = append(c.Messages, wireMessage{})
				return d.message(&c.Messages[len(c.Messages)-1])
			})
		case 4:
			return d.properties(&c.UserProperties)
		default:
			if isNull, err := d.null(); isNull || err != nil {
				c.Attachments = nil
				return err
			}
			c.Attachments = []Attachment{}
			return d.array(func() error {
				c.Attachments = append(c.Attachments, Attachment{})
				return d.attachment(&c.Attachments[len(c.Attachments)-1])
			})
		}
	})
}

func (d *leanDecoder) message(m *wireMessage) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	return d.object(messageFields, func(k int) error {
		switch k {
		case 0:
			return d.text(&m.Body)
		case 1:
			return d.text(&m.Subject)
		case 2:
			return d.text(&m.Signature)
		case 3:
			return d.optStr(&m.From)
		case 4:
			return d.strList(&m.To)
		case 5:
			return d.strList(&m.Cc)
		case 6:
			return d.strList(&m.Bcc)
		case 7:
			return d.optStr(&m.SentAt)
		default:
			return d.optStr(&m.Language)
		}
	})
}

func (d *leanDecoder) text(p **wireText) error {
	if isNull, err := d.null(); isNull || err != nil {
		*p = nil
		return err
	}
	t := d.newText()
	*p = t
	return d.object(textFields, func(k int) error {
		if k == 0 {
			return d.optStr(&t.Text)
		}
		return d.optStr(&t.TranslatedFrom)
	})
}

// properties decodes user_properties as encoding/json decodes a
// map[string]any.
func (d *leanDecoder) properties(p *map[string]any) error {
	if isNull, err := d.null(); isNull || err != nil {
		*p = nil
		return err
	}
	if err := d.expect('{'); err != nil {
		return err
	}
	props := map[string]any{}
	*p = props
	if d.peek() == '}' {
		d.i++
		return nil
	}
	for {
		key, err := d.str()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		switch c := d.peek(); {
		case c == '"':
			v, err := d.str()
			if err != nil {
				return err
			}
			props[key] = v
		case c == '-' || '0' <= c && c <= '9':
			num, err := d.number()
			if err != nil {
				return err
			}
			f, err := strconv.ParseFloat(string(num), 64)
			if err != nil {
				return fmt.Errorf("user_properties: %s is not a float64", num)
			}
			props[key] = f
		default:
			// Not a valid property; decode it exactly, as rare as it is, so
			// that validation words its refusal the same way.
			start := d.i
			if err := d.skip(0); err != nil {
				return err
			}
			var v any
			if err := json.Unmarshal(d.b[start:d.i], &v); err != nil {
				return err
			}
			props[key] = v
		}
		if done, err := d.next('}'); done || err != nil {
			return err
		}
	}
}

func (d *leanDecoder) attachment(a *Attachment) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	return d.object(attachmentFields, func(k int) error {
		switch k {
		case 0:
			return d.plainStr(&a.Name)
		case 1:
			if isNull, err := d.null(); isNull || err != nil {
				a.Size = nil
				return err
			}
			num, err := d.number()
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(string(num), 10, 64)
			if err != nil {
				return fmt.Errorf("attachments: size %s is not an int64", num)
			}
			a.Size = &n
			return nil
		case 2:
			return d.plainStr(&a.ContentType)
		case 3:
			return d.optStr(&a.AttachmentReference)
		default:
			return d.optStr(&a.ContentHash)
		}
	})
}
