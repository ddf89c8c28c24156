package tmplgen

// moduleSrc is the test module's data types, methods and functions (package main, no imports, so it
// type-checks without an importer). The tests compile it with the generated code and a driver.
const moduleSrc = `package main

type Level int

func (l Level) String() string {
	switch l {
	case 0:
		return "debug"
	case 1:
		return "info"
	}
	return "level" + itoa(int64(l))
}

type Name string
type Flag bool
type Count uint16
type Ratio float32
type Names []string
type Scores map[string]int

type Stringer interface{ String() string }

type Shape interface{ Area() int }

type Sq struct{ W int }

func (s Sq) Area() int { return s.W * s.W }

type Circ struct{ R int }

func (c *Circ) Area() int {
	if c == nil {
		return -1
	}
	return 3 * c.R * c.R
}

type myErr struct{ msg string }

func (e myErr) Error() string { return "myErr: " + e.msg }

type Money int64

func (m Money) String() string { return "$" + itoa(int64(m)/100) + "." + itoa(int64(m)%100) }

type PMoney struct{ Cents int }

func (p *PMoney) String() string { return "pm:" + itoa(int64(p.Cents)) }

type Inner struct {
	X     int
	S     string
	P     *int
	L     Level
	inner int
}

func (in Inner) Double() int { return in.X * 2 }

func (in *Inner) Bump() int {
	if in == nil {
		return -100
	}
	in.X++
	return in.X
}

type Base struct {
	ID    int
	Label string
}

func (b Base) Describe() string { return "base:" + b.Label + "#" + itoa(int64(b.ID)) }

type PBase struct{ Note string }

func (p *PBase) PNote() string {
	if p == nil {
		return "nilpbase"
	}
	return "pnote:" + p.Note
}

type Item struct {
	Name  string
	Price float64
	Qty   int
	Tags  []string
}

func (it Item) Cost() float64 { return it.Price * float64(it.Qty) }

type Tree struct {
	Name string
	Kids []*Tree
}

type Page struct {
	Title    string
	Count    int
	Ratio    float64
	Small    float32
	U        uint8
	Big      uint64
	I8       int8
	On       bool
	Lvl      Level
	Who      Name
	Cnt      Count
	Rt       Ratio
	Fl       Flag
	Tags     []string
	Nums     []int
	Arr      [3]int
	Empty    [0]int
	Ns       Names
	Sc       Scores
	M        map[string]int
	MI       map[int]string
	MS       map[Name]Level
	MF       map[float64]string
	MB       map[bool]int
	MM       map[string]map[string]string
	MP       map[string]*Inner
	MAny     map[string]any
	Nested   Inner
	PInner   *Inner
	PP       **Inner
	Items    []Item
	PItems   []*Item
	Any      any
	Err      error
	Str      Stringer
	Shp      Shape
	Fn       func(int) int
	Ch       chan int
	Money    Money
	PMoney   PMoney
	PtrMoney *Money
	Bytes    []byte
	Mat      [][]int
	C        complex128
	Tree     *Tree
	secret   string
	Base
	*PBase
}

func (p Page) Upper() string { return "UP:" + p.Title }

func (p *Page) Total() int {
	if p == nil {
		return -1
	}
	return p.Count + len(p.Tags)
}

func (p Page) Fail() (string, error) {
	if p.Count < 0 {
		return "", myErr{"negative count"}
	}
	return "fine", nil
}

func (p Page) Add(a, b int) int { return a + b + p.Count }

func (p Page) Join(sep string, xs ...string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += sep
		}
		out += x
	}
	return out
}

func (p Page) Panics() string {
	if p.Count%3 == 1 {
		panic("boom at " + itoa(int64(p.Count)))
	}
	return "calm"
}

func (p Page) RuntimePanic() int {
	if p.Count%2 == 1 {
		var m map[string]int
		m["x"] = 1
	}
	return 7
}

func (p Page) Child() *Inner { return p.PInner }

func (p Page) Kids() []Item { return p.Items }

func (p Page) Bad() (int, int) { return 1, 2 }

func (p Page) NoResult() {}

func (p Page) AnyVal() any { return p.Any }

func (p Page) Level() Level { return p.Lvl }

func (p Page) Describe2(prefix string, n int8) string { return prefix + itoa(int64(n)) }

func (p Page) WithErr(x int) (Item, error) {
	if x < 0 {
		return Item{}, myErr{"bad x"}
	}
	return Item{Name: "made", Qty: x}, nil
}

type Config struct {
	Name    string
	Version string
	Debug   bool
	Paths   []string
	Env     map[string]string
	Limits  map[string]int
	Owner   *User
	Users   []User
	Extra   Page
}

type User struct {
	Login string
	Email string
	Admin bool
	Age   int
}

func (u User) Display() string { return u.Login + " <" + u.Email + ">" }

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	var b [24]byte
	i := len(b)
	for n != 0 {
		d := n % 10
		if d < 0 {
			d = -d
		}
		i--
		b[i] = byte('0' + d)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func fnUpper(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c >= 'a' && c <= 'z' {
			out[i] = c - 32
		}
	}
	return string(out)
}

func fnRepeat(s string, n int) string {
	out := ""
	for i := 0; i < n && i < 5; i++ {
		out += s
	}
	return out
}

func fnErr(x int) (int, error) {
	if x > 40 {
		return 0, myErr{"too big"}
	}
	return x * 2, nil
}

func fnSum(xs ...int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

func fnAny(x any) string {
	if x == nil {
		return "nil!"
	}
	return "some"
}

func fnPtr(p *Inner) string {
	if p == nil {
		return "nilptr"
	}
	return "ptr:" + p.S
}

func fnInt8(x int8) int8 { return x }

func fnFloat32(x float32) float32 { return x * 2 }

func fnStringer(s Stringer) string {
	if s == nil {
		return "nostr"
	}
	return "str:" + s.String()
}

func fnMapLen(m map[string]int) int { return len(m) }

func fnInc(x int) int { return x + 1 }

func fnPanic(x int) int {
	if x > 3 {
		panic(myErr{"fnPanic"})
	}
	return x
}

func fnTwo(a string, b int) string { return a + "/" + itoa(int64(b)) }

func fnUint(x uint) uint { return x + 1 }

func fnName(n Name) string { return "name:" + string(n) }

func fnBadSig(x int) (int, int) { return x, x }

func fnMakeItem(n string) Item { return Item{Name: n, Qty: 1} }

func fnNil() *Inner { return nil }

var fnVar = fnUpper

var shower = Sq{W: 3}

func nan() float64 {
	var z float64
	return z / z
}

func inf() float64 {
	var z float64
	return 1 / z
}
`
