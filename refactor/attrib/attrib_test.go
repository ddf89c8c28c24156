package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"math/rand"
	"testing"
)

// zsec is a compressed DWARF section (ELF SHF_COMPRESSED layout: a 24-byte header, then zlib) of
// payload, at file offset off of a file made for it.
func zsec(t *testing.T, payload []byte, off int) (*dsec, []byte) {
	t.Helper()
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	if _, err := w.Write(payload); err != nil {
		t.Fatal(err)
	}
	w.Close()
	file := make([]byte, off+24+z.Len())
	copy(file[off+24:], z.Bytes())
	return &dsec{name: ".debug_info", off: off, end: len(file), body: off + 24, usize: len(payload), compressed: true}, file
}

func TestCompressedOffsetsMapBackMonotonically(t *testing.T) {
	// two halves that compress very differently: the boundary must not sit at the middle of the file
	rng := rand.New(rand.NewSource(1))
	payload := make([]byte, 200_000)
	rng.Read(payload[100_000:]) // random: incompressible; the first half stays zeros
	s, file := zsec(t, payload, 100)
	if err := s.decode(file); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.data, payload) {
		t.Fatal("decoded bytes differ")
	}
	if s.fileAt(0) != s.body || s.fileAt(len(payload)) != s.end {
		t.Fatalf("ends map to %d, %d; want %d, %d", s.fileAt(0), s.fileAt(len(payload)), s.body, s.end)
	}
	for u, prev := 0, 0; u <= len(payload); u += 997 {
		if f := s.fileAt(u); f < prev {
			t.Fatalf("fileAt(%d) = %d goes back from %d", u, f, prev)
		} else {
			prev = f
		}
	}
	// the zeros take a few hundred bytes, the random half nearly its own size
	if mid := s.fileAt(100_000) - s.body; mid > 2_000 {
		t.Fatalf("the compressible half was given %d compressed bytes, proportional sharing would give %d",
			mid, (s.end-s.body)/2)
	}
	// a section that is not decoded is shared out in proportion
	p := &dsec{off: 0, end: 1000, body: 24, usize: 10_000, compressed: true}
	if got := p.fileAt(5_000); got != 24+488 {
		t.Fatalf("proportional fileAt = %d", got)
	}
}

// dwarfBuilder writes a DWARF 5 .debug_info unit with the abbreviations below.
type dwarfBuilder struct{ b []byte }

func (d *dwarfBuilder) uleb(v int) {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			c |= 0x80
		}
		d.b = append(d.b, c)
		if v == 0 {
			return
		}
	}
}
func (d *dwarfBuilder) u32(v int) { d.b = binary.LittleEndian.AppendUint32(d.b, uint32(v)) }
func (d *dwarfBuilder) str(s string) {
	d.b = append(d.b, s...)
	d.b = append(d.b, 0)
}

// abbrevs: 1 compile unit (name string, stmt_list, ranges, addr_base: sec_offset; children),
// 2 subprogram (name; children), 3 variable (location sec_offset), 4 structure type (name),
// 5 base type without a name.
func testAbbrevs() []byte {
	var d dwarfBuilder
	entry := func(code, tag int, children bool, attrs ...int) {
		d.uleb(code)
		d.uleb(tag)
		if children {
			d.b = append(d.b, 1)
		} else {
			d.b = append(d.b, 0)
		}
		for _, a := range attrs {
			d.uleb(a)
		}
		d.uleb(0)
		d.uleb(0)
	}
	entry(1, 0x11, true, 0x03, formString, 0x10, formSecOffset, 0x55, formSecOffset, 0x73, formSecOffset)
	entry(2, 0x2e, true, 0x03, formString)
	entry(3, 0x34, false, 0x02, formSecOffset)
	entry(4, 0x13, false, 0x03, formString)
	entry(5, 0x24, false, 0x0b, formData1)
	d.uleb(0)
	return d.b
}

// unit writes one compile unit; body writes its children.
func (d *dwarfBuilder) unit(name string, stmt, ranges, addr int, body func()) {
	start := len(d.b)
	d.u32(0) // length, patched below
	d.b = append(d.b, 5, 0, 0x01, 8)
	d.u32(0) // abbreviations at 0
	d.uleb(1)
	d.str(name)
	d.u32(stmt)
	d.u32(ranges)
	d.u32(addr)
	body()
	d.b = append(d.b, 0) // closes the unit's children
	binary.LittleEndian.PutUint32(d.b[start:], uint32(len(d.b)-start-4))
}

func TestCompileUnitsGivePerUnitOffsetsAndTypeDIEs(t *testing.T) {
	var d dwarfBuilder
	fn := func(name string, locs ...int) {
		d.uleb(2)
		d.str(name)
		for _, l := range locs {
			d.uleb(3)
			d.u32(l)
		}
		d.b = append(d.b, 0)
	}
	d.unit("net/http", 0, 12, 8, func() {
		fn("net/http.noLists")
		fn("net/http.(*Server).Serve", 40, 16) // the unit's part of the lists starts at 16
		fn("net/http.later", 90)
	})
	var typeStarts []int
	d.unit("runtime", 300, 60, 100, func() {
		fn("runtime.main", 200)
		typeStarts = append(typeStarts, len(d.b))
		d.uleb(4)
		d.str("*net/http.Request")
		typeStarts = append(typeStarts, len(d.b))
		d.uleb(5)
		d.b = append(d.b, 8)
		typeStarts = append(typeStarts, len(d.b))
		d.uleb(4)
		d.str("encoding/json.Decoder")
	})
	units, err := compileUnits(d.b, testAbbrevs(), binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != 2 {
		t.Fatalf("%d units", len(units))
	}
	u := units[0]
	if u.name != "net/http" || u.stmt != 0 || u.ranges != 12 || u.addrBase != 8 || u.loc != 16 || len(u.types) != 0 {
		t.Fatalf("first unit: %+v", u)
	}
	r := units[1]
	if r.name != "runtime" || r.start != u.end || r.end != len(d.b) || r.loc != 200 || r.stmt != 300 {
		t.Fatalf("runtime unit: %+v (first ends at %d)", r, u.end)
	}
	if len(r.types) != 3 || r.types[0].name != "*net/http.Request" || r.types[1].name != "" ||
		r.types[2].name != "encoding/json.Decoder" {
		t.Fatalf("type DIEs: %+v", r.types)
	}
	for i, td := range r.types {
		want := len(d.b) - 1 // the last runs to the unit's closing null
		if i+1 < len(typeStarts) {
			want = typeStarts[i+1]
		}
		if td.s != typeStarts[i] || td.e != want {
			t.Fatalf("type DIE %d spans [%d, %d), want [%d, %d)", i, td.s, td.e, typeStarts[i], want)
		}
	}
	// a unit cut short is an error, not a panic
	if _, err := compileUnits(d.b[:len(d.b)-5], testAbbrevs(), binary.LittleEndian); err == nil {
		t.Fatal("a truncated unit was read without error")
	}
}

func TestFrameEntries(t *testing.T) {
	var d dwarfBuilder
	d.u32(8) // CIE: length, id 0xffffffff, 4 bytes of body
	d.u32(-1 & 0xffffffff)
	d.b = append(d.b, make([]byte, 4)...)
	for _, addr := range []int{0x401000, 0x401200} {
		d.u32(24) // FDE: length, CIE pointer, initial location, range, 4 bytes of program
		d.u32(0)
		d.b = binary.LittleEndian.AppendUint64(d.b, uint64(addr))
		d.b = binary.LittleEndian.AppendUint64(d.b, 0x100)
		d.b = append(d.b, make([]byte, 4)...)
	}
	got := frameEntries(d.b, binary.LittleEndian, 8)
	if len(got) != 2 || got[0].addr != 0x401000 || got[1].addr != 0x401200 || got[0].s != 12 || got[0].e != 40 ||
		got[1].s != 40 || got[1].e != 68 {
		t.Fatalf("FDEs: %+v", got)
	}
}

func TestPiecesRunToTheNextReferenceAndSplitEvenly(t *testing.T) {
	// one region at file offset 1000, address 0x5000, 100 bytes
	regions := []region{{1000, 1100, 0x5000}}
	refs := []ref{{0x5010, 7}, {0x5030, 8}, {0x5030, 9}, {0x5030, 8}, {0x5100, 7}, {0x4fff, 7}}
	got := pieces(regions, refs)
	want := []claim{{1016, 1048, 7}, {1048, 1074, 8}, {1074, 1100, 9}}
	if len(got) != len(want) {
		t.Fatalf("pieces %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pieces %v, want %v", got, want)
		}
	}
}

func TestABoundaryCutsAPieceAndClaimsNothing(t *testing.T) {
	// 0x5030 is referred to only from unowned bytes (a static temporary): the piece from 0x5010 stops there
	regions := []region{{1000, 1100, 0x5000}}
	refs := []ref{{0x5010, 7}, {0x5030, boundary}, {0x5050, 8}, {0x5050, boundary}}
	got := pieces(regions, refs)
	want := []claim{{1016, 1048, 7}, {1080, 1100, 8}}
	if len(got) != len(want) {
		t.Fatalf("pieces %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pieces %v, want %v", got, want)
		}
	}
}

func TestCodeReferences(t *testing.T) {
	// amd64: LEAQ 0x10(IP), AX at 0x401000 (7 bytes with REX.W) targets 0x401017; a MOV is not read
	code := []byte{0x48, 0x8d, 0x05, 0x10, 0x00, 0x00, 0x00, 0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00, 0x90, 0x90}
	e := &elfFile{data: code, bo: binary.LittleEndian, arch: "amd64", ptr: 8, is64: true}
	a := &attributor{elf: e}
	var got [][2]int
	a.codeRefs(&section{addr: 0x401000, offset: 0, size: len(code)}, func(target, at int) {
		got = append(got, [2]int{target, at})
	})
	if len(got) != 1 || got[0] != [2]int{0x401017, 1} {
		t.Fatalf("amd64 references %x", got)
	}
	// arm64: ADRP X1, +2 pages; ADD X1, X1, #0x18 at 0x10000 targets 0x12018
	arm := make([]byte, 8)
	binary.LittleEndian.PutUint32(arm, 0x90000000|2<<29|1) // immlo=2, immhi=0, rd=1
	binary.LittleEndian.PutUint32(arm[4:], 0x91000000|0x18<<10|1<<5|1)
	e = &elfFile{data: arm, bo: binary.LittleEndian, arch: "arm64", ptr: 8, is64: true}
	a = &attributor{elf: e}
	got = nil
	a.codeRefs(&section{addr: 0x10000, offset: 0, size: len(arm)}, func(target, at int) {
		got = append(got, [2]int{target, at})
	})
	if len(got) != 1 || got[0] != [2]int{0x12018, 0} {
		t.Fatalf("arm64 references %x", got)
	}
}
