package damask

// Selection names the assets a bulk action works on: the ids ticked on a
// page, or, with Query set, every asset a search finds ("select all N
// results"), resolved by the library once, under the caller's rights.
type Selection struct {
	IDs   []int64
	Query *SelectionQuery
}

// SelectionQuery is the search of a selection, as the library page has it:
// the search text (types included, "type:image"), the tag ids or names
// every asset must carry, and the order, which numbers a bulk edit.
type SelectionQuery struct {
	Query string
	Tags  string
	Sort  string
}
