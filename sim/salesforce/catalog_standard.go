package salesforce

// Field constructors keep the object tables below readable.
func idField() Field                  { return Field{Name: FieldID, Type: TypeID, ReadOnly: true} }
func textField(name string) Field     { return Field{Name: name, Type: TypeString} }
func textAreaField(name string) Field { return Field{Name: name, Type: TypeTextArea} }
func emailField(name string) Field    { return Field{Name: name, Type: TypeEmail} }
func picklistField(name string) Field { return Field{Name: name, Type: TypePicklist} }
func checkboxField(name string) Field { return Field{Name: name, Type: TypeBoolean} }
func intField(name string) Field      { return Field{Name: name, Type: TypeInt} }
func doubleField(name string) Field   { return Field{Name: name, Type: TypeDouble} }
func dateField(name string) Field     { return Field{Name: name, Type: TypeDate} }
func dateTimeField(name string) Field { return Field{Name: name, Type: TypeDateTime} }
func readOnly(f Field) Field          { f.ReadOnly = true; return f }
func referenceField(name string, to ...string) Field {
	return Field{Name: name, Type: TypeReference, ReferenceTo: to}
}

// auditFields are the system fields in the order Salesforce lists them.
func auditFields() []Field {
	return []Field{
		readOnly(dateTimeField(FieldCreatedDate)),
		readOnly(referenceField(FieldCreatedByID, "User")),
		readOnly(dateTimeField(FieldLastModifiedDate)),
		readOnly(referenceField(FieldLastModifiedByID, "User")),
		readOnly(dateTimeField(FieldSystemModstamp)),
	}
}

// addressField is a compound address. The component order is the one of the
// org behind the worked bitmap examples (reference §3.9), so Account's
// BillingAddress.City is component 1 as in "4-0x06".
func addressField(name, flatPrefix string) Field {
	comps := []struct {
		name string
		typ  FieldType
	}{
		{"Street", TypeTextArea}, {"City", TypeString}, {"State", TypeString},
		{"PostalCode", TypeString}, {"Country", TypeString}, {"StateCode", TypePicklist},
		{"CountryCode", TypePicklist}, {"Latitude", TypeDouble}, {"Longitude", TypeDouble},
		{"Xyz", TypeString}, {"GeocodeAccuracy", TypePicklist},
	}
	f := Field{Name: name, Type: TypeAddress}
	for _, c := range comps {
		f.Components = append(f.Components, Component{Name: c.name, Type: c.typ, FlatName: flatPrefix + c.name})
	}
	return f
}

// personNameField is the compound Name of Contact; its components are
// ordinary fields of the record under their own names.
func personNameField() Field {
	f := Field{Name: "Name", Type: TypeName}
	for _, c := range []string{"Salutation", "FirstName", "LastName", "MiddleName", "Suffix"} {
		f.Components = append(f.Components, Component{Name: c, Type: TypeString, FlatName: c})
	}
	f.Components[0].Type = TypePicklist
	return f
}

func joinFields(groups ...[]Field) []Field {
	var out []Field
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// accountObject follows the field order of the real Account change event
// in reference §3.9 (and fixtures/schemas/AccountChangeEvent.reconstructed.avsc.json).
func accountObject() *Object {
	return &Object{Name: "Account", KeyPrefix: PrefixAccount, HasChangeEvent: true, CDCSelected: true, Fields: joinFields(
		[]Field{idField(), readOnly(checkboxField(FieldIsDeleted)),
			textField("Name"), picklistField("Type"), referenceField("ParentId", "Account"),
			addressField("BillingAddress", "Billing"), addressField("ShippingAddress", "Shipping"),
			textField("Phone"), textField("Fax"), textField("AccountNumber"), textField("Website"), textField("Sic"),
			picklistField("Industry"), doubleField("AnnualRevenue"), intField("NumberOfEmployees"), picklistField("Ownership"),
			textField("TickerSymbol"), textAreaField("Description"), picklistField("Rating"), textField("Site"), referenceField(FieldOwnerID, "User")},
		auditFields(),
		[]Field{textField("Jigsaw"), readOnly(textField("JigsawCompanyId")), picklistField("CleanStatus"), picklistField("AccountSource"),
			textField("DunsNumber"), textField("Tradestyle"), textField("NaicsCode"), textField("NaicsDesc"), textField("YearStarted"),
			textField("SicDesc"), referenceField("DandbCompanyId", "DandBCompany")},
	)}
}

func contactObject() *Object {
	return &Object{Name: "Contact", KeyPrefix: PrefixContact, HasChangeEvent: true, CDCSelected: true, Fields: joinFields(
		[]Field{idField(), readOnly(checkboxField(FieldIsDeleted)), referenceField("AccountId", "Account"), personNameField(),
			addressField("MailingAddress", "Mailing"), textField("Phone"), textField("MobilePhone"), emailField("Email"),
			textField("Title"), textField("Department"), textAreaField("Description"), referenceField(FieldOwnerID, "User")},
		auditFields(),
	)}
}

func caseObject() *Object {
	return &Object{Name: "Case", KeyPrefix: PrefixCase, HasChangeEvent: true, CDCSelected: true, Fields: joinFields(
		[]Field{idField(), readOnly(checkboxField(FieldIsDeleted)), readOnly(textField("CaseNumber")),
			referenceField("ContactId", "Contact"), referenceField("AccountId", "Account"), referenceField("SourceId", "EmailMessage"),
			referenceField("ParentId", "Case"), textField("SuppliedName"), emailField("SuppliedEmail"), textField("SuppliedPhone"),
			textField("SuppliedCompany"), picklistField("Type"), picklistField("Status"), picklistField("Reason"), picklistField("Origin"),
			textField("Subject"), picklistField("Priority"), textAreaField("Description"), readOnly(checkboxField("IsClosed")),
			readOnly(dateTimeField("ClosedDate")), checkboxField("IsEscalated"), referenceField(FieldOwnerID, "User", "Group")},
		auditFields(),
		[]Field{emailField("ContactEmail"), textAreaField("Comments")},
	)}
}

func caseCommentObject() *Object {
	return &Object{Name: "CaseComment", KeyPrefix: PrefixCaseComment, Fields: joinFields(
		[]Field{idField(), referenceField("ParentId", "Case"), checkboxField("IsPublished"), textAreaField("CommentBody")},
		auditFields(),
		[]Field{readOnly(checkboxField(FieldIsDeleted))},
	)}
}

func taskObject() *Object {
	return &Object{Name: "Task", KeyPrefix: PrefixTask, HasChangeEvent: true, CDCSelected: true, Fields: joinFields(
		[]Field{idField(), referenceField("WhoId", "Contact", "Lead"), referenceField("WhatId"), textField("Subject"), dateField("ActivityDate"),
			picklistField("Status"), picklistField("Priority"), referenceField(FieldOwnerID, "User", "Group"), textAreaField("Description"), picklistField("Type"),
			readOnly(checkboxField(FieldIsDeleted)), readOnly(referenceField("AccountId", "Account")), readOnly(checkboxField("IsClosed"))},
		auditFields(),
		[]Field{intField("CallDurationInSeconds"), picklistField("CallType"), textField("CallDisposition"), textField("CallObject"),
			picklistField("TaskSubtype"), readOnly(dateTimeField("CompletedDateTime"))},
	)}
}

// emailMessageObject follows the describe order of EmailMessage, where the
// audit fields come right after the parent references.
func emailMessageObject() *Object {
	return &Object{Name: "EmailMessage", KeyPrefix: PrefixEmailMessage, HasChangeEvent: true, CDCSelected: true, Fields: joinFields(
		[]Field{idField(), referenceField("ParentId", "Case"), referenceField("ActivityId", "Task")},
		auditFields(),
		[]Field{textAreaField("TextBody"), textAreaField("HtmlBody"), textAreaField("Headers"), textField("Subject"), textField("FromName"),
			emailField("FromAddress"), textField("ToAddress"), textField("CcAddress"), textField("BccAddress"), checkboxField("Incoming"),
			checkboxField("HasAttachment"), picklistField("Status"), dateTimeField("MessageDate"), readOnly(checkboxField(FieldIsDeleted)),
			referenceField("ReplyToEmailMessageId", "EmailMessage"), checkboxField("IsExternallyVisible"), textField("MessageIdentifier"),
			textField("ThreadIdentifier"), textField("ClientThreadIdentifier"), referenceField("RelatedToId")},
	)}
}

// customObject builds a declared custom object: the standard fields every
// custom object has, then its custom fields in declaration order.
func customObject(spec CustomObject, prefix string) *Object {
	o := &Object{Name: spec.Name, KeyPrefix: prefix, Custom: true, HasChangeEvent: true, CDCSelected: !spec.NoChangeEvents, Fields: joinFields(
		[]Field{idField(), referenceField(FieldOwnerID, "User", "Group"), readOnly(checkboxField(FieldIsDeleted)), textField("Name")},
		auditFields(),
	)}
	for _, f := range spec.Fields {
		o.Fields = append(o.Fields, Field{Name: f.Name, Type: f.Type, ReferenceTo: f.ReferenceTo, Custom: true})
	}
	return o
}

// standardObjects returns fresh copies of the built-in objects.
func standardObjects() []*Object {
	return []*Object{accountObject(), contactObject(), caseObject(), caseCommentObject(), taskObject(), emailMessageObject()}
}
