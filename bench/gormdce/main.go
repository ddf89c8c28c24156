// Command gormdce describes a gorm model for PostgreSQL without a database: the table and column
// names gorm derives, the dialect's quoting and data types, and the error of a connection to a port
// nothing listens on. It links github.com/jinzhu/gorm v1.9.16, whose (*Scope).callMethod looks model
// hooks up with reflect.Value.MethodByName(name): that switches the linker's method dead-code
// elimination off (bench/results.md, 2026-12-07).
package main

import (
	"fmt"
	"os"
	"reflect"

	"github.com/jinzhu/gorm"
	_ "github.com/jinzhu/gorm/dialects/postgres"
)

// Product is a gorm model with a hook (gorm calls BeforeSave by name).
type Product struct {
	gorm.Model
	Code  string `gorm:"size:32;unique_index"`
	Price uint
	Tags  []string `gorm:"-"`
}

// BeforeSave is a gorm hook.
func (p *Product) BeforeSave() error {
	if p.Code == "" {
		return fmt.Errorf("product without code")
	}
	return nil
}

func main() {
	dsn := "host=127.0.0.1 port=1 user=u dbname=d sslmode=disable connect_timeout=1"
	if len(os.Args) > 1 {
		dsn = os.Args[1]
	}
	dialect, ok := gorm.GetDialect("postgres")
	fmt.Println("dialect registered:", ok, dialect.GetName())
	fmt.Println("quoted:", dialect.Quote("products"))
	t := reflect.TypeOf(Product{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fmt.Printf("field %s -> column %s (tag %q)\n", f.Name, gorm.ToColumnName(f.Name), f.Tag.Get("gorm"))
	}
	fmt.Println("table:", gorm.ToTableName("Product"))
	_, err := gorm.Open("postgres", dsn)
	fmt.Println("open:", err)
}
