// Package store keeps values in memory or fetches them from a server.
package store

// Cache keeps values in memory under one namespace.
type Cache struct {
	id    string
	items map[string]string
}

// NewCache returns an empty Cache for the namespace id.
func NewCache(id string) *Cache {
	return &Cache{id: id, items: map[string]string{}}
}

// Put stores value under k.
func (c *Cache) Put(k, value string) { c.items[c.key(k)] = value }

// Get returns the value stored under k.
func (c *Cache) Get(k string) (string, bool) {
	v, ok := c.items[c.key(k)]
	return v, ok
}

// key qualifies k with the cache's namespace.
func (c *Cache) key(k string) string { return c.id + "/" + k }
