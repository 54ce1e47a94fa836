local sql = require("sql")

-- Counts the words of a note once it is queued (the queue's part of the app).
local function main(note)
    local db = sql.get("app:db")
    local rows, err = db:query("SELECT text FROM notes WHERE id = ?", {note.id})
    if err then return nil, err end
    if #rows == 0 then return nil, errors.new({message = "no note " .. note.id, kind = errors.NOT_FOUND}) end
    local words = 0
    for _ in rows[1].text:gmatch("%S+") do words = words + 1 end
    local _, update_err = db:execute("UPDATE notes SET words = ? WHERE id = ?", {words, note.id})
    if update_err then return nil, update_err end
    return true
end

return { main = main }
