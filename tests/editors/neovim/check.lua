-- Drives tunelint's language server from Neovim's built-in LSP client, headless.
-- usage: TUNELINT=/path/to/tunelint ACTION="Pin peft" nvim --headless -u NONE -i NONE -n \
--          -c "luafile check.lua" FILE.py
-- Prints DIAG, ACTION and AFTER lines; exits 1 (cquit) on any failure.
local out = function(s) io.stdout:write(s .. "\n") end
local fail = function(msg) out("FAIL: " .. msg); vim.cmd("cquit 1") end
local bufnr = vim.api.nvim_get_current_buf()
vim.bo[bufnr].filetype = "python"

local config = {
  name = "tunelint",
  cmd = { os.getenv("TUNELINT"), "server" },
  root_dir = vim.fn.getcwd(),
}
local client_id
if vim.lsp.start then
  client_id = vim.lsp.start(config, { bufnr = bufnr })
else
  client_id = vim.lsp.start_client(config)
  if client_id then vim.lsp.buf_attach_client(bufnr, client_id) end
end
if not client_id then return fail("could not start the language server") end

local ok = vim.wait(20000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)
if not ok then return fail("no diagnostics within 20 s") end
local diags = vim.diagnostic.get(bufnr)
for _, d in ipairs(diags) do
  local lsp = d.user_data and d.user_data.lsp or {}
  out(("DIAG %d:%d sev=%d code=%s"):format(d.lnum, d.col, d.severity, tostring(d.code or lsp.code)))
end

-- Ask for the quick-fixes of the first diagnostic, with its data as the server sent it.
local d = diags[1]
local lsp = (d.user_data and d.user_data.lsp) or {}
local lsp_diag = {
  range = lsp.range or { start = { line = d.lnum, character = d.col }, ["end"] = { line = d.end_lnum, character = d.end_col } },
  message = d.message, severity = d.severity, code = lsp.code or d.code, source = d.source, data = lsp.data,
}
local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, range = lsp_diag.range,
                 context = { diagnostics = { lsp_diag }, only = { "quickfix" } } }
local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 10000)
if not responses then return fail("codeAction timed out") end
local wanted = os.getenv("ACTION") or ""
local action
for _, resp in pairs(responses) do
  if resp.error then return fail("codeAction error: " .. vim.inspect(resp.error)) end
  for _, a in ipairs(resp.result or {}) do
    out("ACTION " .. a.title)
    if not action and a.title:sub(1, #wanted) == wanted then action = a end
  end
end
if not action then return fail("no code action titled " .. wanted) end
if not action.edit then return fail("the action has no edit") end
vim.lsp.util.apply_workspace_edit(action.edit, vim.lsp.get_client_by_id(client_id).offset_encoding or "utf-16")
vim.cmd("silent wall")
out("APPLIED " .. action.title)

vim.lsp.stop_client(client_id)
vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
out("OK")
vim.cmd("qa!")
