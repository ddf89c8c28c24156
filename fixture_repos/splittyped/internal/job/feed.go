package job

import "encoding/xml"

// entry is a job as a feed describes it.
type entry struct {
	Title string `xml:"title"`
	Seq   int    `xml:"seq"`
}

// FromXML reads a job from its XML description.
func FromXML(data []byte) (Job, error) {
	var e entry
	if err := xml.Unmarshal(data, &e); err != nil {
		return Job{}, err
	}
	return Job{Name: e.Title, id: e.Seq}, nil
}
